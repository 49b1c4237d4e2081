"""Fixtures of the agent screen tests: a helpdesk on each backend, its builder, and two groups with queues."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from goatkit.engine.extension import modules
from tests.modules.auth import Helpdesk, make_helpdesk
from tests.modules.tickets.web.desk import Tickets


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[Helpdesk]:
    made = make_helpdesk(db_url, tmp_path / "var")
    yield made
    modules(made.app).stop()
    made.close()


@dataclass(frozen=True)
class Setup:
    """Group "sales" with queues Sales and Sales::Phones; group "secret" with queue Secret."""

    sales_group: int
    secret_group: int
    sales: int
    phones: int
    secret: int


@pytest.fixture
def tickets(desk: Helpdesk) -> Tickets:
    return Tickets(desk)


@pytest.fixture
def setup(tickets: Tickets) -> Setup:
    world = tickets.world
    sales_group, secret_group = world.group("sales"), world.group("secret")
    return Setup(
        sales_group,
        secret_group,
        world.queue("Sales", sales_group),
        world.queue("Sales::Phones", sales_group),
        world.queue("Secret", secret_group),
    )
