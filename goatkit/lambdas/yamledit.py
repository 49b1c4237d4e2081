"""Saving an edited lambda back into its file, touching nothing else: comments, order and layout stay as written.

A lambda in a module spec is one YAML scalar; :func:`replace_scalar` rewrites exactly its characters (found with
PyYAML's node marks) as a literal block (``|``), or as a double-quoted string inside a flow mapping
(``{name: x, lambda: "..."}``), where a block is not allowed.  The result is parsed again and must give back the
new code at the same place, or nothing is written.  Files are replaced atomically (a temporary file, then rename),
so the module watcher never reads half a file.

Example::

    text = replace_scalar(path.read_text(), "priority", ("computed_fields", 0, "lambda"), "return 1;")
    write_atomically(path, text)
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from goatkit.yamlfile import KeyPath


class EditRefused(ValueError):
    """The file could not be changed safely; the message says why."""


def replace_scalar(text: str, module: str, path: KeyPath, code: str) -> str:
    """``text`` with the scalar at ``path`` of the document defining ``module`` replaced by ``code``."""
    node, in_flow, indent = _find(text, module, path)
    start, end = node.start_mark.index, node.end_mark.index
    if in_flow or "\t" in code or code[:1] in (" ", "\n"):  # a block cannot start with its own indentation
        new = json.dumps(code, ensure_ascii=False)
    else:
        lines = code.rstrip("\n").split("\n")
        pad = " " * (indent + 2)
        new = "|\n" + "\n".join(pad + line if line.strip() else "" for line in lines)
        new += "\n" if node.style in ("|", ">") else ""  # a block's span ends after its last line break
    edited = text[:start] + new + text[end:]
    found, _flow, _indent = _find(edited, module, path)
    if not isinstance(found, yaml.ScalarNode) or found.value.rstrip("\n") != code.rstrip("\n"):
        raise EditRefused("The file could not be rewritten safely; edit it by hand.")
    return edited


def _find(text: str, module: str, path: KeyPath) -> tuple[yaml.ScalarNode, bool, int]:
    """The scalar node at ``path``, whether it sits in a flow collection, and the column of its key."""
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as error:
        raise EditRefused(f"The file is not valid YAML now: {error}") from None
    for document in documents:
        if _module_name(document) == module:
            return _walk(document, path)
    raise EditRefused(f"The file no longer defines module '{module}'.")


def _module_name(node: Any) -> str | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "module" and isinstance(value, yaml.MappingNode):
                return next((v.value for k, v in value.value if k.value == "name"), None)
    return None


def _walk(node: Any, path: KeyPath) -> tuple[yaml.ScalarNode, bool, int]:
    in_flow, indent = False, 0
    for part in path:
        if isinstance(part, int) and isinstance(node, yaml.SequenceNode) and part < len(node.value):
            in_flow = in_flow or bool(node.flow_style)
            node = node.value[part]
            continue
        if isinstance(part, str) and isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == part), None)
            if pair is not None:
                in_flow = in_flow or bool(node.flow_style)
                indent = pair[0].start_mark.column
                node = pair[1]
                continue
        raise EditRefused(f"The file has no '{'.'.join(map(str, path))}' any more.")
    if not isinstance(node, yaml.ScalarNode):
        raise EditRefused(f"'{'.'.join(map(str, path))}' is not a piece of text in the file.")
    return node, in_flow, indent


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename, keeping its permissions."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
