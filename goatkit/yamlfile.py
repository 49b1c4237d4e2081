"""YAML loading that remembers where every key came from.

Errors in YAML specs must name the file, the line and the key.  :func:`load_documents` parses a file (one or more
``---`` documents) with the safe loader and returns, for each document, the data and a map from key paths to line
numbers, so a validation error at ``("fields", 2, "type")`` can be reported at its line.

Example::

    for doc in load_documents(Path("modules/priority.yaml")):
        doc.line_of(("fields", 0, "name"))   # -> 5
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One error in one file, printed as ``file:line: key: message``."""

    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


@dataclass
class Document:
    """The data of one YAML document and the line of each key path in it."""

    path: Path
    data: Any
    start_line: int
    lines: dict[KeyPath, int] = field(default_factory=dict)
    #: Where the text of each scalar value begins: the key's line, or the next one for a ``|``/``>`` block.
    text_lines: dict[KeyPath, int] = field(default_factory=dict)

    def text_line_of(self, key_path: KeyPath) -> int:
        """The line where the scalar at ``key_path`` begins (embedded code maps its own lines from here)."""
        return self.text_lines.get(tuple(key_path)) or self.line_of(key_path)

    def line_of(self, key_path: KeyPath) -> int:
        """The line of ``key_path``, or of its nearest ancestor that has one."""
        path = tuple(key_path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.start_line


class YamlSyntaxError(ValueError):
    """A file that is not valid YAML; ``problem`` says where."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def load_documents(path: Path) -> list[Document]:
    """Parse every document of ``path``; raise :class:`YamlSyntaxError` naming the line of a syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(Problem(str(path), 1, "", f"not UTF-8 text ({exc.reason})")) from exc
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise YamlSyntaxError(Problem(str(path), line, "", f"invalid YAML: {exc.problem}")) from exc
    documents = []
    for node in nodes:
        if node is None:
            continue
        data = yaml.SafeLoader(text).construct_document(node)
        doc = Document(path=path, data=data, start_line=node.start_mark.line + 1)
        _record_lines(node, (), doc.lines, doc.text_lines)
        documents.append(doc)
    return documents


def _record_lines(node: yaml.Node, prefix: KeyPath, lines: dict[KeyPath, int], texts: dict[KeyPath, int]) -> None:
    for key_path, (line, value) in _children(node, prefix):
        lines[key_path] = line
        if isinstance(value, yaml.ScalarNode):
            texts[key_path] = value.start_mark.line + 1 + (1 if value.style in ("|", ">") else 0)
        _record_lines(value, key_path, lines, texts)


def _children(node: yaml.Node, prefix: KeyPath) -> Iterator[tuple[KeyPath, tuple[int, yaml.Node]]]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            yield (*prefix, str(key_node.value)), (key_node.start_mark.line + 1, value_node)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield (*prefix, index), (item.start_mark.line + 1, item)
