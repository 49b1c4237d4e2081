"""The shared lambdas shipped in lambdas/: each passes the sandbox check and does what its header says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from goatkit.lambdas.library import load_shared
from goatkit.lambdas.sandbox import Call, SandboxPool

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    made = SandboxPool(size=1)
    yield made
    made.close()


def test_every_shipped_lambda_loads_and_passes_the_check(pool: SandboxPool) -> None:
    shared, problems = load_shared([ROOT / "lambdas"])
    assert problems == [] and "age_badge" in shared
    for item in shared.values():
        assert item.description, f"{item.path} has no comment header saying what it does"
        assert pool.check(item.code).problem is None


def test_age_badge(pool: SandboxPool) -> None:
    code = load_shared([ROOT / "lambdas"])[0]["age_badge"].code
    args = {"field": "create_time", "warn_days": 30}
    old, new, none = pool.run([
        Call(code, {"create_time": "2000-01-01T00:00:00"}, args),
        Call(code, {"create_time": "2999-01-01"}, args),
        Call(code, {"create_time": None}, args),
    ])  # fmt: skip
    assert isinstance(old.value, dict) and old.value["tone"] == "amber" and old.value["text"].endswith(" days")
    assert isinstance(new.value, str) and new.value.endswith("days")  # in the future: negative, no warning
    assert none.value is None
