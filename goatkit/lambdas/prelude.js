/*
 * The lambda environment and the batch runner, loaded once into the V8 context of every sandbox worker
 * (goatkit/lambdas/worker.py), after acorn, check.js and helpers.js.
 *
 * Evaluating this file yields a function; the worker calls it with check(code), the helpers and a random token, and
 * keeps what it returns: the ArrayBuffer behind `progress` and the runner's entry point.  The worker reaches the
 * runner through that entry, which is also the global __gk_runner(token, op, ...): usually by evaluating a short
 * script per request (one hop into V8, no argument arrays to build), or by calling it when a batch is large.  The
 * global is harmless to lambda code: it refuses any call without the token, which only the worker knows (it reaches
 * JavaScript only as an argument, of this file's function and of the worker's calls, and the runner hands it to no
 * one), and it refuses to be re-entered while it is busy, which it is whenever a lambda runs (all but recover(),
 * which must work after V8 stopped an operation midway).  It is a frozen, non-writable, non-configurable property of
 * the frozen global object, so no script can replace or shadow it: declaring the name again at the top level of a
 * script fails, or leaves the global as it is.  The rest of the runner's state lives in this closure, and the only
 * other globals a lambda sees are the standard built-ins (frozen) and the documented ones: console, db, formatDate,
 * formatRelative, helpers.  Everything here runs in strict mode, so a lambda cannot climb to the runner through
 * `fn.caller`.
 *
 * Lockdown (last section) turns the context into a shared, read-only room: built-ins are frozen, so no lambda can
 * change what the next one sees (prototype pollution, replaced methods), and the global object is frozen, so an
 * undeclared assignment (`leak = 1`) leaves nothing behind.  REMOVED, and why:
 *   Promise, queueMicrotask, setTimeout, setInterval, clearTimeout, clearInterval
 *       work queued for later runs after the call returned, outside its time limit.  (The worker also stops
 *       mini-racer from installing its setTimeout shim, whose class would otherwise sit in the shared script scope.)
 *   Array.fromAsync, AsyncDisposableStack       hand out Promises.
 *   Atomics, SharedArrayBuffer                  Atomics.waitAsync hands out Promises; shared memory is not data.
 *   WebAssembly                                 native code and asynchronous compilation.
 *   ArrayBuffer, DataView, every typed array    memory outside the V8 heap limit (new ArrayBuffer(1e9) succeeds).
 *   FinalizationRegistry, WeakRef               callbacks and results that depend on when the GC runs.
 *   eval, Function, globalThis                  code from strings (also refused by V8's
 *                                               --disallow-code-generation-from-strings) and the global object by
 *                                               name; the constructors of function, generator and async function
 *                                               prototypes are replaced by a stub that throws.
 *   RegExp.$1-$9, RegExp.input, lastMatch, lastParen, leftContext, rightContext (and $_ $& $+ $` $')
 *                                               the previous call's match, readable (and settable) by the next one.
 *   console                                     V8's own console prints nowhere; replaced by the capturing one.
 */
(function (check, env, token) {
  'use strict';
  if (typeof token !== 'string' || token.length < 32) throw new TypeError('prelude: the worker must pass its token');
  const { formatDate, formatRelative, helpers } = env;
  const G = globalThis;
  const { create, defineProperty, freeze, getOwnPropertyDescriptor, getOwnPropertyNames, getOwnPropertySymbols,
    getPrototypeOf, keys: ownKeys } = Object;
  const { stringify, parse } = JSON;
  const isArray = Array.isArray;
  const now = Date.now;
  const ObjectPrototype = Object.prototype;
  const FunctionPrototype = Function.prototype;
  const MAX_OUTPUT = 16384;
  const MAX_DEPTH = 32;
  const MAX_LOG_LINES = 50;
  const MAX_LOG_CHARS = 500;
  const MAX_SLICE_TEXT = 4 * 1024 * 1024;
  const MAX_MESSAGE = 1000; // characters of a failure message (a thrown message or a refused key can be huge)
  const MAX_QUERY = 16384; // characters of one query with its parameters, as JSON
  const MAX_WANTS = 100; // queries one call may wait for at once

  // ---- What a lambda sees besides the built-ins: console, db, formatDate, formatRelative, helpers. ----

  let current = null; // the call being run: {logs, wants, keys}
  let answers = new Map(); // canonical query key -> JSON text of the answer
  const WAITING = freeze(create(null, {
    name: { value: 'Waiting' },
    message: { value: 'Waiting for data: this call will run again with the query results.' },
  }));

  function show(x) {
    if (typeof x === 'string') return x;
    try {
      if (x instanceof Error) return `${x.name}: ${x.message}`;
      if (typeof x === 'function') return '[function]';
      const json = stringify(x);
      return json === undefined ? String(x) : json;
    } catch (e) {
      return '[unprintable]';
    }
  }

  const clip = (text, n) => (text.length > n ? text.slice(0, n - 1) + '…' : text);

  function log(...parts) {
    if (current === null || current.logs.length >= MAX_LOG_LINES) return;
    if (current.logs.length === MAX_LOG_LINES - 1) {
      current.logs.push(`... more console output was dropped (limit ${MAX_LOG_LINES} lines).`);
      return;
    }
    current.logs.push(clip(parts.map(show).join(' '), MAX_LOG_CHARS));
  }

  function ask(name, sql, params) {
    if (typeof sql !== 'string') throw new TypeError(`${name} needs the SQL text as its first argument`);
    params.forEach((p, i) => {
      if (p === null || typeof p === 'string' || typeof p === 'boolean' || Number.isFinite(p)) return;
      const what = typeof p === 'number' || p === undefined ? String(p) : isArray(p) ? 'an array'
        : /^[aeiou]/.test(typeof p) ? `an ${typeof p}` : `a ${typeof p}`;
      throw new TypeError(`${name} parameter ${i + 1} is ${what}: use strings, numbers, booleans or null`);
    });
    const key = stringify([sql, params]);
    if (key.length > MAX_QUERY) {
      throw new TypeError(`${name}: the query and its parameters are too long (${key.length} characters, limit `
        + `${MAX_QUERY})`);
    }
    const answer = answers.get(key);
    if (answer === undefined) {
      if (current !== null && !current.keys.has(key) && current.wants.length < MAX_WANTS) {
        current.keys.add(key);
        current.wants.push([sql, params]);
      }
      throw WAITING;
    }
    const rows = parse(answer);
    if (rows && !isArray(rows) && typeof rows.error === 'string') throw new Error(rows.error);
    if (!isArray(rows)) throw new Error(`${name} got an answer that is not a list of rows`);
    return rows;
  }

  const lambdaGlobals = {
    console: { log, info: log, warn: log, error: log, debug: log },
    db: {
      query: (sql, ...params) => ask('db.query', sql, params),
      queryRow: (sql, ...params) => {
        const rows = ask('db.queryRow', sql, params);
        return rows.length ? rows[0] : null;
      },
    },
    formatDate,
    formatRelative,
    helpers,
  };

  // ---- Output: a lambda returns data; anything else is refused with the place where it was found. ----

  class Refused { constructor(message) { this.message = message; } }

  function where(path) {
    return 'result' + path.map((k) => (typeof k === 'number' ? `[${k}]`
      : /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${stringify(k)}]`)).join('');
  }

  function refuse(what, path, hint) {
    return new Refused(`Output not allowed: ${what} at ${where(path)}; ${hint || 'return strings, numbers, booleans, '
      + 'null, arrays or plain objects'}.`);
  }

  function toData(v, path, seen) {
    switch (typeof v) {
      case 'string': case 'boolean': case 'undefined': return v;
      case 'number': return Number.isFinite(v) ? v : null;
      case 'bigint': throw refuse('a BigInt', path, 'convert it to a number or a string');
      case 'symbol': throw refuse('a Symbol', path);
      case 'function': throw refuse('a function', path);
    }
    if (v === null) return null;
    if (seen.includes(v)) throw new Refused(`Output not allowed: ${where(path)} refers back to itself (a cycle).`);
    if (seen.length >= MAX_DEPTH) throw new Refused(`Output nested too deeply (limit ${MAX_DEPTH} levels).`);
    if (typeof v.then === 'function') throw new Refused('Lambdas must be synchronous: return a value, not a Promise.');
    seen.push(v);
    let out;
    if (isArray(v)) {
      out = [];
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        const x = toData(v[i], path, seen);
        out.push(x === undefined ? null : x);
        path.pop();
      }
    } else {
      const proto = getPrototypeOf(v);
      if (proto !== ObjectPrototype && proto !== null) {
        const name = (typeof proto.constructor === 'function' && proto.constructor.name) || 'non-plain';
        throw refuse(`a ${name} object`, path, v instanceof Date ? 'return a string, for example formatDate(value)'
          : undefined);
      }
      out = create(null);
      for (const k of ownKeys(v)) {
        path.push(k);
        const x = toData(v[k], path, seen);
        if (x !== undefined) out[k] = x;
        path.pop();
      }
    }
    seen.pop();
    return out;
  }

  function utf8Length(s) {
    let n = s.length;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      // JSON text has no lone surrogates (JSON.stringify escapes them): a pair is 4 bytes for 2 units.
      if (c >= 0xd800 && c <= 0xdfff) n += c <= 0xdbff ? 2 : 0;
      else if (c >= 0x800) n += 2;
      else if (c >= 0x80) n += 1;
    }
    return n;
  }

  function valueField(v) {
    const json = stringify(toData(v, [], [])) ?? 'null';
    if (json.length > MAX_OUTPUT / 3) {
      const size = utf8Length(json);
      if (size > MAX_OUTPUT) throw new Refused(`Output too large: ${size} bytes (limit ${MAX_OUTPUT}).`);
    }
    return `"v":${json}`;
  }

  function describe(e) {
    try {
      const line = /lambda-[0-9a-f]+\.js:(\d+):\d+/.exec(String(e && e.stack));
      const at = line ? ` (line ${Math.max(+line[1] - 1, 1)})` : '';
      if (e instanceof Error || (e && typeof e.name === 'string' && typeof e.message === 'string')) {
        return `${e.name}: ${e.message}${at}`;
      }
      return `Threw ${show(e)}${at}.`;
    } catch (_) {
      return 'Threw a value that cannot be shown.';
    }
  }

  // ---- The batch runner: runs calls from `index`, hands back finished results every slice. ----

  const fns = new Map(); // code hash -> compiled lambda, or a syntax problem (string)
  const banned = new Map(); // code hash -> why its calls are skipped ("timeout", "memory")
  let calls = [];
  let items = []; // the batch's items: calls name theirs by index, so a row's item crosses the pipe once
  let itemTexts = []; // JSON text of an item already handed to a call: the next call gets a fresh copy
  let index = 0;
  let running = -1; // index of the call inside the lambda right now, -1 between calls
  // The id (+1) of that call, in memory the worker reads without V8: when V8 hangs inside a builtin and cannot run
  // recover(), the worker still knows which call did it.  Created before lockdown removes the constructors.
  const progress = new Int32Array(new ArrayBuffer(4));
  let pending = [];

  function register(hash, fn, problem) {
    if (fn) { freeze(fn); if (fn.prototype) freeze(fn.prototype); }
    fns.set(hash, fn || String(problem));
  }

  function load(text) {
    calls = [];
    index = 0;
    const batch = parse(text);
    calls = batch.calls;
    items = batch.items;
    itemTexts = [];
    index = 0;
    pending = [];
    banned.clear();
    answers = new Map();
    for (const key of ownKeys(batch.answers || {})) {
      try { answers.set(stringify(parse(key)), stringify(batch.answers[key])); } catch (_) { /* not a query key */ }
    }
  }

  // A call's own copy of item `n`: what one lambda does to its item, the next lambda of the row does not see.
  function itemFor(n) {
    const text = itemTexts[n];
    if (text !== undefined) return parse(text);
    itemTexts[n] = stringify(items[n]);
    return items[n];
  }

  function runOne(call) {
    const [id, hash, n, args, value] = call;
    const fn = fns.get(hash);
    if (banned.has(hash)) return `{"i":${id},"k":"skip-${banned.get(hash)}"}`;
    if (typeof fn !== 'function') return `{"i":${id},"f":["syntax",${stringify(fn || 'Unknown lambda.')}]}`;
    const item = itemFor(n);
    current = { logs: [], wants: [], keys: new Set() };
    const started = now();
    let field;
    running = index;
    progress[0] = id + 1;
    try {
      field = valueField(fn.call(undefined, item, args, value));
    } catch (e) {
      const [kind, message] = e instanceof Refused ? ['output', e.message] : ['error', describe(e)];
      field = `"f":["${kind}",${stringify(clip(message, MAX_MESSAGE))}]`;
    }
    running = -1;
    progress[0] = 0;
    const { logs, wants } = current;
    current = null;
    if (wants.length) field = `"w":${stringify(wants)}`;
    return `{"i":${id},${field},"ms":${now() - started},"l":${stringify(logs)}}`;
  }

  function flush() {
    const out = `{"r":[${pending.map((p) => p[1]).join(',')}],"done":${index >= calls.length}}`;
    pending = [];
    return out;
  }

  // Run calls until `sliceMs` has passed (at least one call); `text` is a new batch, or null to go on.
  function run(text, sliceMs) {
    if (text !== null) load(text);
    const start = now();
    const first = index;
    let size = 0;
    while (index < calls.length) {
      if (index > first && (now() - start >= sliceMs - 1 || size > MAX_SLICE_TEXT)) break;
      const result = runOne(calls[index]);
      pending.push([index, result]);
      size += result.length;
      index += 1;
    }
    return flush();
  }

  // After V8 stopped a slice (timeout or memory): keep what finished, fail the call that was running, skip the
  // other calls of its lambda, and go on from the next one.
  function recover(kind) {
    const culprit = running;
    const logs = current ? current.logs : [];
    running = -1;
    progress[0] = 0;
    current = null;
    if (pending.length && pending[pending.length - 1][0] >= index) index = pending[pending.length - 1][0] + 1;
    if (culprit >= index) {
      pending.push([culprit, `{"i":${calls[culprit][0]},"k":"${kind}","l":${stringify(logs)}}`]);
      banned.set(calls[culprit][1], kind);
      index = culprit + 1;
    }
    return flush();
  }

  // ---- The entry point: the worker's scripts call __gk_runner(token, op, ...); anyone else is refused. ----

  let busy = false; // inside an operation: a lambda may be running, nothing may enter

  function knows(key) { // compares every character, so that timing tells nothing about a guess
    if (typeof key !== 'string' || key.length !== token.length) return false;
    let diff = 0;
    for (let i = 0; i < token.length; i++) diff |= key.charCodeAt(i) ^ token.charCodeAt(i);
    return diff === 0;
  }

  function operate(op, a, b, c) {
    switch (op) {
      case 'check': return check(a);
      case 'register': return register(a, b, c);
      case 'load': return load(a);
      case 'run': return run(a, b);
      default: throw new TypeError('unknown operation');
    }
  }

  function entry(key, op, a, b, c) {
    if (!knows(key)) throw new TypeError('__gk_runner is for the sandbox worker only');
    // V8 stopped an operation (timeout, memory): it never finished, so `busy` is still set; recover() resets it.
    if (op === 'recover') {
      busy = false;
      return recover(a);
    }
    if (busy) throw new TypeError('__gk_runner is busy');
    busy = true;
    try {
      return operate(op, a, b, c);
    } finally {
      busy = false;
    }
  }

  // ---- Lockdown. ----

  // The "override mistake": once a prototype is frozen, `obj.toString = f` fails on objects that inherit it.  Like
  // SES, turn those properties into accessors whose setter gives the assigning object its own property.
  const overridable = []; // values moved behind accessors, which harden() cannot see through

  function allowOverride(obj, name) {
    const desc = getOwnPropertyDescriptor(obj, name);
    if (!desc || !('value' in desc) || !desc.configurable) return;
    const value = desc.value;
    overridable.push(value);
    defineProperty(obj, name, {
      get() { return value; },
      set(v) {
        if (this === obj) throw new TypeError(`Cannot assign to read only property '${String(name)}' of object`);
        if (this === null || (typeof this !== 'object' && typeof this !== 'function')) return;
        defineProperty(this, name, { value: v, writable: true, enumerable: true, configurable: true });
      },
      enumerable: desc.enumerable,
      configurable: false,
    });
  }

  function noCodeFromStrings() {
    throw new EvalError('Code generation from strings is not allowed in lambdas');
  }

  function lockdown() {
    const hidden = [
      getPrototypeOf([][Symbol.iterator]()), getPrototypeOf(''[Symbol.iterator]()),
      getPrototypeOf(new Map()[Symbol.iterator]()), getPrototypeOf(new Set()[Symbol.iterator]()),
      getPrototypeOf(/a/[Symbol.matchAll]('')), getPrototypeOf([].values().map((x) => x)),
      getPrototypeOf(Iterator.from({ next() { return { done: true }; } })),
      getPrototypeOf(new Intl.Segmenter().segment('')),
      getPrototypeOf(new Intl.Segmenter().segment('')[Symbol.iterator]()),
    ];
    // Every error gets the same `stack` accessor functions: shared objects, though no global leads to them.
    const captured = {};
    Error.captureStackTrace(captured);
    for (const holder of [new Error('x'), captured]) {
      const stack = getOwnPropertyDescriptor(holder, 'stack');
      if (stack) hidden.push(stack.get, stack.set);
    }
    const functionKinds = [FunctionPrototype, getPrototypeOf(function* () {}), getPrototypeOf(async function () {}),
      getPrototypeOf(async function* () {})];
    for (const proto of functionKinds) {
      defineProperty(proto, 'constructor', { value: noCodeFromStrings, writable: false, configurable: true });
      hidden.push(proto, proto.prototype);
    }
    const errors = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError];
    for (const ctor of errors) for (const name of ['name', 'message', 'toString', 'constructor']) {
      allowOverride(ctor.prototype, name);
    }
    for (const name of getOwnPropertyNames(ObjectPrototype)) allowOverride(ObjectPrototype, name);
    for (const name of ['toString', 'constructor', 'call', 'apply', 'bind']) allowOverride(FunctionPrototype, name);
    for (const name of ['toString', 'constructor', 'push', 'join']) allowOverride(Array.prototype, name);

    delete Array.fromAsync;
    for (const name of ['$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9', 'input', '$_', 'lastMatch', '$&',
      'lastParen', '$+', 'leftContext', '$`', 'rightContext', "$'"]) delete RegExp[name];
    for (const name of ['Promise', 'queueMicrotask', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval',
      'AsyncDisposableStack', 'Atomics', 'SharedArrayBuffer', 'WebAssembly', 'ArrayBuffer', 'DataView',
      'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
      'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'FinalizationRegistry',
      'WeakRef', 'eval', 'Function', 'globalThis', 'console']) {
      if (!delete G[name]) throw new Error(`lockdown: cannot remove ${name}`);
    }
    for (const [name, value] of [...Object.entries(lambdaGlobals), ['__gk_runner', entry]]) {
      defineProperty(G, name, { value, writable: false, enumerable: false, configurable: false });
    }
    harden([G, ...hidden, ...overridable]);
  }

  // Freeze everything reachable from the roots: own properties, accessors and prototypes.
  function harden(roots) {
    const seen = new Set();
    const todo = roots.slice();
    while (todo.length) {
      const obj = todo.pop();
      if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function') || seen.has(obj)) continue;
      seen.add(obj);
      freeze(obj);
      todo.push(getPrototypeOf(obj));
      for (const key of [...getOwnPropertyNames(obj), ...getOwnPropertySymbols(obj)]) {
        const desc = getOwnPropertyDescriptor(obj, key);
        todo.push(desc.value, desc.get, desc.set);
      }
    }
  }

  lockdown();
  return freeze({ progress: progress.buffer, entry });
})
