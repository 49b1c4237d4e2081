/*
 * The static check of a lambda, run inside the sandbox worker (never in the web process) before a code is first
 * compiled, and by SandboxPool.check().
 *
 * A lambda is a function BODY; it is parsed with the vendored acorn as `(function (item, args, value) {...})`, and
 * must stay one function (no `}); ...` escaping the wrapper).  Refused, because a lambda must be synchronous and
 * finish when it returns: await, async and generator functions, `for await`, import() and import.meta, and any use
 * of the names in FORBIDDEN.  Lines and columns are 1-based within the body.
 *
 * Evaluating this file yields a function: given the acorn namespace, it returns check(code), whose answer is JSON
 * text: 'null', or {"message", "line", "column"}.
 */
(function (acorn) {
  'use strict';
  const { stringify } = JSON;
  const ownKeys = Object.keys;
  const isArray = Array.isArray;
  const BODY_HEAD = '(function (item, args, value) {\n';
  const BODY_TAIL = '\n})';
  const MAX_CODE = 65536;
  const FORBIDDEN = new Set(['Promise', 'queueMicrotask', 'setTimeout', 'setInterval', 'WebAssembly', 'Atomics',
    'eval', 'Function', 'globalThis']);

  // Where a problem is, as 1-based line and column of the body (the wrapper adds one line before it).
  function problemAt(message, loc, code) {
    const lines = code.split('\n');
    let line = loc.line - 1;
    let column = loc.column + 1;
    if (line < 1) [line, column] = [1, 1];
    if (line > lines.length) [line, column] = [lines.length, lines[lines.length - 1].length + 1];
    return { message: message(line, column), line, column };
  }

  const SYNC = 'lambdas are synchronous functions.';

  function refusal(node) {
    switch (node.type) {
      case 'AwaitExpression': return `'await' is not allowed: ${SYNC}`;
      case 'ForOfStatement': return node.await ? `'for await' is not allowed: ${SYNC}` : null;
      case 'ImportExpression': return "'import()' is not allowed: lambdas cannot load modules.";
      case 'MetaProperty': return node.meta.name === 'import' ? "'import.meta' is not allowed in lambdas." : null;
      case 'Identifier': return FORBIDDEN.has(node.name) ? `'${node.name}' is not available in lambdas.` : null;
      case 'FunctionDeclaration': case 'FunctionExpression': case 'ArrowFunctionExpression':
        if (node.async) return `'async' functions are not allowed: ${SYNC}`;
        if (node.generator) return `generator functions are not allowed: ${SYNC}`;
        return null;
      default: return null;
    }
  }

  const KEYED = new Set(['Property', 'MethodDefinition', 'PropertyDefinition']);

  // Children of a node, leaving out names that are not references: property keys, labels, `import.meta` parts.
  function children(node) {
    const out = [];
    if (node.type === 'MetaProperty') return out;
    for (const key of ownKeys(node)) {
      if (key === 'loc' || key === 'label') continue;
      if (key === 'property' && node.type === 'MemberExpression' && !node.computed) continue;
      if (key === 'key' && !node.computed && KEYED.has(node.type)) continue;
      const v = node[key];
      if (isArray(v)) { for (const x of v) if (x && typeof x.type === 'string') out.push(x); }
      else if (v && typeof v === 'object' && typeof v.type === 'string') out.push(v);
    }
    return out;
  }

  // The first refused construct under `roots`, in source order: {node, message}, or null.
  function firstRefusal(roots) {
    let first = null;
    const stack = roots.slice();
    while (stack.length) {
      const node = stack.pop();
      const message = refusal(node);
      if (message && (!first || node.start < first.node.start)) first = { node, message };
      for (const child of children(node)) stack.push(child);
    }
    return first;
  }

  // Why `code` cannot be a lambda, as JSON {message, line, column}; 'null' when it can.
  function check(code) {
    if (code.length > MAX_CODE) {
      return stringify({ message: `The lambda is too long: ${code.length} characters (limit ${MAX_CODE}).`,
        line: 1, column: 1 });
    }
    const wrapped = BODY_HEAD + code + BODY_TAIL;
    const options = { ecmaVersion: 'latest', sourceType: 'script', locations: true };
    let ast;
    try {
      ast = acorn.parse(wrapped, options);
    } catch (e) {
      if (!(e instanceof SyntaxError) || !e.loc) throw e;
      // `await` in a plain function is a syntax error; parsed on its own the body shows what was meant.
      let alone = null;
      try {
        const relaxed = { ...options, allowAwaitOutsideFunction: true, allowReturnOutsideFunction: true };
        alone = firstRefusal(acorn.parse(code, relaxed).body);
      } catch (_) { /* report the first error */ }
      if (alone) {
        const loc = { line: alone.node.loc.start.line + 1, column: alone.node.loc.start.column };
        return stringify(problemAt((l) => `line ${l}: ${alone.message}`, loc, code));
      }
      const text = String(e.message).replace(/ \(\d+:\d+\)$/, '');
      return stringify(problemAt((l, c) => `Syntax error at line ${l}, column ${c}: ${text}.`, e.loc, code));
    }
    const fn = ast.body.length === 1 && ast.body[0].type === 'ExpressionStatement' ? ast.body[0].expression : null;
    if (!fn || fn.type !== 'FunctionExpression' || fn.body.end !== wrapped.length - 1) {
      return stringify({ message: 'The code closes its function early: a lambda is a function body.', line: 1,
        column: 1 });
    }
    const first = firstRefusal(fn.body.body);
    return first ? stringify(problemAt((l) => `line ${l}: ${first.message}`, first.node.loc.start, code)) : 'null';
  }

  return check;
})
