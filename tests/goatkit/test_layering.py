"""GoatKit is the platform: it never imports the application and never speaks of its domain."""

import ast
import re
from pathlib import Path

GOATKIT = Path(__file__).resolve().parents[2] / "goatkit"
APP_PACKAGES = {"modules", "gotrs_app"}


def python_files() -> list[Path]:
    return sorted(GOATKIT.rglob("*.py"))


def test_goatkit_never_imports_the_application() -> None:
    offenders = []
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path}:{node.lineno} imports {n}" for n in names if n.split(".")[0] in APP_PACKAGES]
    assert python_files(), "no goatkit sources found"
    assert offenders == []


def test_goatkit_never_says_ticket() -> None:
    sources = [p for p in GOATKIT.rglob("*") if p.suffix in {".py", ".html", ".js"} and "vendor" not in p.parts]
    offenders = [
        f"{path}:{number}"
        for path in sources
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if re.search(r"ticket", line, re.IGNORECASE)
    ]
    assert offenders == []
