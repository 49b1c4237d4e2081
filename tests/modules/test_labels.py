"""Every ``@key`` label in the shipped module specs has a text in each shipped language (else the screen shows the
fallback in English to a German agent, and logs a warning on every page)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LABEL = re.compile(r"""["']@([a-z0-9_.]+)(?:\|[^"']*)?["']""")


def catalog(language: str) -> set[str]:
    def walk(node: object, prefix: str) -> set[str]:
        if isinstance(node, dict):
            return set().union(*(walk(value, f"{prefix}{key}.") for key, value in node.items()))
        return {prefix.rstrip(".")}

    return walk(yaml.safe_load((ROOT / "i18n" / f"{language}.yaml").read_text(encoding="utf-8")), "")


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_label_of_the_shipped_modules_has_a_text(language: str) -> None:
    used = {
        (spec.name, key)
        for spec in sorted((ROOT / "modules").glob("*.yaml"))
        for key in LABEL.findall(spec.read_text(encoding="utf-8"))
    }
    assert len(used) > 50  # the pattern finds the labels
    known = catalog(language)
    assert sorted(f"{name}: @{key}" for name, key in used if key not in known) == []
