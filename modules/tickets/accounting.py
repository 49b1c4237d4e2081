"""Time accounting (OTRS's TicketAccountTime): ``time_accounting`` rows and the TimeAccounting history.

Time units are decimals with two places (OTRS's cleanup: commas become dots, blanks go); zero is refused, as OTRS
refuses a false TimeUnit.  The history name is ``%%<units>%%<ticket total>`` with numbers printed as Perl prints
them (``%%1.5%%4``), the total read back after the insert, so it includes time accounted on merged tickets.

Example::

    units = parse_units("1,5")                    # Decimal("1.50")
    account(service, change, units, article_id)   # row + history + TicketAccountTime event on the change
    time_total(conn, ticket_id)                   # Decimal("4.00")
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, insert, select

from modules.db.schema import metadata
from modules.tickets.changes import Change
from modules.tickets.errors import TicketInvalid
from modules.tickets.history import Names

if TYPE_CHECKING:
    from modules.tickets.service import TicketService

T = metadata.tables


def parse_units(units: Decimal | str | float) -> Decimal:
    """OTRS's time-unit cleanup: commas become dots, blanks go, two decimals; zero is refused."""
    text = str(units).replace(",", ".").replace(" ", "")
    try:
        value = Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise TicketInvalid("time_units", f"'{units}' is not a number of time units.") from None
    if not value or abs(value) >= Decimal("100000000"):
        raise TicketInvalid("time_units", "Time units must be a non-zero number below 100000000.")
    return value


def account(service: TicketService, change: Change, units: Decimal, article_id: int | None) -> None:
    """Add a ``time_accounting`` row and its TimeAccounting history to ``change``."""
    conn, now, actor_id = service.conn, service.now, service.actor.user_id
    if article_id is not None:
        article = T["article"]
        belongs = conn.execute(
            select(article.c.id).where(article.c.id == article_id, article.c.ticket_id == change.before.id)
        ).first()
        if belongs is None:
            raise TicketInvalid("article_id", f"Article {article_id} is not an article of this ticket.")
    conn.execute(
        insert(T["time_accounting"]).values(
            ticket_id=change.before.id,
            article_id=article_id,
            time_unit=units,
            create_time=now,
            create_by=actor_id,
            change_time=now,
            change_by=actor_id,
        )
    )
    change.touch = True
    change.log("TimeAccounting", Names.time_accounting(units, time_total(conn, change.before.id)), article_id)
    change.emit("TicketAccountTime", article_id, units=str(units))


def time_total(conn: Connection, ticket_id: int) -> Decimal:
    """The ticket's accounted time (the sum of its ``time_accounting`` rows)."""
    table = T["time_accounting"]
    total = conn.execute(select(func.sum(table.c.time_unit)).where(table.c.ticket_id == ticket_id)).scalar()
    return Decimal(str(total or 0)).quantize(Decimal("0.01"))
