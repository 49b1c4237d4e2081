"""Hot reload of the module registry with the real watchdog observer, and atomic snapshots under concurrent reads."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from goatkit.engine.registry import ModuleRegistry, Snapshot
from tests.goatkit.engine.registry_support import PRIORITY, open_registry
from tests.waiting import RELOAD_SECONDS, within

COMPANY = """\
module: {name: company, description: v0, table: customer_company, primary_key: customer_id}
fields:
  - {name: customer_id, type: string}
  - {name: name, type: string}
"""


@pytest.fixture
def modules_dir(tmp_path: Path) -> Path:
    return tmp_path / "modules"


@pytest.fixture
def registry(db_url: str, modules_dir: Path) -> Iterator[ModuleRegistry]:
    with open_registry(db_url, modules_dir) as registry:
        yield registry


def test_adding_changing_breaking_fixing_and_deleting_files_takes_effect_within_a_second(
    registry: ModuleRegistry, modules_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    registry.load()
    registry.watch()
    path = modules_dir / "priority.yaml"

    path.write_text(PRIORITY)  # add
    assert within(RELOAD_SECONDS, lambda: "priority" in registry.snapshot())

    path.write_text(PRIORITY.replace("plural: Priorities", "plural: Changed"))  # change
    assert within(
        1.5,
        lambda: (
            registry.get("priority") is not None and registry.snapshot()["priority"].spec.module.plural == "Changed"
        ),
    )
    good = registry.snapshot()["priority"]

    with caplog.at_level(logging.ERROR, logger="goatkit.engine"):
        path.write_text(PRIORITY.replace("{name: color,", "{name: colour,"))  # break
        assert within(RELOAD_SECONDS, lambda: bool(registry.problems))
    assert registry.snapshot()["priority"] is good  # the last good version keeps serving
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
        f"module problem: {path}:5: fields.2.name: "
        "column 'colour' does not exist in table 'ticket_priority'; did you mean 'color'?"
    ]

    path.write_text(PRIORITY.replace("plural: Priorities", "plural: Fixed"))  # fix
    assert within(
        1.5, lambda: registry.problems == [] and registry.snapshot()["priority"].spec.module.plural == "Fixed"
    )
    assert registry.snapshot().stale == frozenset()

    renamed = modules_dir / "renamed.yml"
    path.rename(renamed)  # rename: same module, new source
    assert within(
        1.5, lambda: registry.get("priority") is not None and registry.snapshot()["priority"].source == renamed
    )

    (modules_dir / "company.yaml").write_text(COMPANY)
    renamed.unlink()  # delete
    assert within(RELOAD_SECONDS, lambda: list(registry.snapshot()) == ["company"])


def test_a_watched_module_directory_that_does_not_exist_is_skipped(
    registry: ModuleRegistry, modules_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    registry.directories.append(tmp_path / "absent")
    with caplog.at_level(logging.WARNING, logger="goatkit.engine"):
        registry.watch()
    assert f"not watching {tmp_path / 'absent'} for module changes: no such directory" in caplog.messages
    (modules_dir / "priority.yaml").write_text(PRIORITY)
    assert within(RELOAD_SECONDS, lambda: "priority" in registry.snapshot())


def test_readers_during_reloads_always_see_a_whole_snapshot(registry: ModuleRegistry, modules_dir: Path) -> None:
    """Each round rewrites every file with its round number; a snapshot must hold one round's modules, all of them."""
    extra = "module: {name: extra, description: vN, table: valid}\nfields:\n  - {name: name}\n"

    def write_round(round_: int) -> None:
        tag = f"v{round_}"
        (modules_dir / "company.yaml").write_text(COMPANY.replace("v0", tag))
        (modules_dir / "priority.yaml").write_text(PRIORITY.replace("plural: Priorities", f"description: {tag}"))
        extra_path = modules_dir / "extra.yaml"
        if round_ % 2:
            extra_path.write_text(extra.replace("vN", tag))
        else:
            extra_path.unlink(missing_ok=True)

    def whole(snapshot: Snapshot) -> str:
        tags = {m.spec.module.description for m in snapshot.values()}
        if len(tags) != 1:
            return f"mixed rounds {sorted(tags)}"
        round_ = int(tags.pop()[1:])
        expected = ["company", "extra", "priority"] if round_ % 2 else ["company", "priority"]
        if sorted(snapshot) != expected or snapshot.problems:
            return f"round {round_}: {list(snapshot)} {snapshot.problems}"
        return ""

    write_round(0)
    registry.load()
    failures: list[str] = []
    reads = [0]
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            snapshot = registry.snapshot()  # once, as a request does
            problem = whole(snapshot)
            if problem:
                failures.append(problem)
            reads[0] += 1
            time.sleep(0.0005)  # a request does I/O too; a pure spin would only starve the reloading thread

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for round_ in range(1, 21):
            write_round(round_)
            assert whole(registry.load()) == ""
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
    assert failures == []
    assert reads[0] > 20
    assert registry.snapshot()["company"].spec.module.description == "v20"
