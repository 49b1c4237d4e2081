"""Shared lambdas: ``lambdas/*.js`` files any module may use by name, with arguments.

A shared lambda is a function body like an inline one (it reads ``item``, ``args`` and, in validators, ``value``);
the file name is its name (``lambdas/age_badge.js`` is ``use: age_badge``).  The comment lines at the top describe
it: the playground and ``gotrs check`` show them.  Later directories (``GOTRS_LAMBDAS_PATH``) replace a shipped
lambda of the same name, as module directories do.

Example::

    shared, problems = load_shared([root / "lambdas"])
    shared["age_badge"].code          # 'var days = ...'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from goatkit.yamlfile import Problem

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Larger files are refused: a lambda is a few lines, and every page may send it to the sandbox.
MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class SharedLambda:
    """One ``lambdas/<name>.js`` file."""

    name: str
    path: Path
    code: str
    description: str  # the leading ``//`` comment lines, without the slashes


def load_shared(directories: list[Path]) -> tuple[dict[str, SharedLambda], list[Problem]]:
    """Every ``*.js`` file of ``directories`` by name (later directories win), and the files that were refused."""
    found: dict[str, SharedLambda] = {}
    problems: list[Problem] = []
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.js")):
            shared, problem = _read(path)
            if problem is not None:
                problems.append(problem)
            elif shared is not None:
                found[shared.name] = shared
    return found, problems


def _read(path: Path) -> tuple[SharedLambda | None, Problem | None]:
    name = path.stem
    if not NAME.match(name):
        return None, Problem(str(path), 1, "", f"the file name '{name}' is not a lambda name (a-z, 0-9, _)")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:  # removed while loading: the next reload forgets it
        return None, None
    if len(raw) > MAX_BYTES:
        return None, Problem(str(path), 1, "", f"the file has {len(raw)} bytes; a lambda may have {MAX_BYTES}")
    try:
        code = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, Problem(str(path), 1, "", f"not UTF-8 text ({exc.reason})")
    return SharedLambda(name, path, code, _description(code)), None


def _description(code: str) -> str:
    lines = []
    for line in code.splitlines():
        stripped = line.strip()
        if not stripped.startswith("//"):
            break
        lines.append(stripped[2:].strip())
    return "\n".join(lines).strip()
