"""Ticket numbers in the four OTRS/Znuny formats.

Each format is a pure function of SystemID, date and counter, so numbers can be checked without a database; the
counter itself comes from ``ticket_number_counter`` (allocation lives elsewhere).  The generator classes wrap the
functions behind one interface, selected by the SysConfig name ``Ticket::NumberGenerator``.

========================  ===============================================  ====================
generator                 shape                                            example (2024-01-01)
========================  ===============================================  ====================
AutoIncrement             SystemID + counter padded to 5                   ``1000001``
Date                      YYYYMMDD + SystemID + counter                    ``20240101101``
DateChecksum (default)    YYYYMMDD + SystemID + counter padded to 5 + check ``2024010110000012``
Random                    SystemID + 10 random digits                      ``10`` + 10 digits
========================  ===============================================  ====================

Example::

    DateChecksumGenerator().create(1, date(2024, 1, 1))   # '2024010110000012'
"""

from __future__ import annotations

import random as _random
import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Protocol

DEFAULT_SYSTEM_ID = "10"
MIN_COUNTER_SIZE = 5


def check_digit(digits: str) -> int:
    """Return the OTRS DateChecksum check digit of ``digits``.

    Digits are weighted 1, 2, 1, 2, ... from the left and the raw products summed (unlike Luhn, a product of 16 adds
    16, not 7).  The digit is ``10 - sum % 10`` with 10 written as 1, so it is never 0.
    """
    total = sum(int(digit) * (1 if index % 2 == 0 else 2) for index, digit in enumerate(digits))
    value = 10 - total % 10
    return 1 if value == 10 else value


def auto_increment_number(counter: int, system_id: str = DEFAULT_SYSTEM_ID, min_size: int = MIN_COUNTER_SIZE) -> str:
    """SystemID followed by the counter zero-padded to ``min_size`` digits: ``1000001`` for counter 1."""
    return f"{system_id}{_padded(counter, min_size)}"


def date_number(day: date, counter: int, system_id: str = DEFAULT_SYSTEM_ID, formatted: bool = False) -> str:
    """YYYYMMDD + SystemID + counter; unpadded unless ``formatted`` (``Date::UseFormattedCounter``)."""
    digits = _padded(counter, MIN_COUNTER_SIZE) if formatted else _padded(counter, 1)
    return f"{day:%Y%m%d}{system_id}{digits}"


def date_checksum_number(day: date, counter: int, system_id: str = DEFAULT_SYSTEM_ID) -> str:
    """YYYYMMDD + SystemID + counter padded to at least 5 digits + one check digit (never truncated)."""
    body = f"{day:%Y%m%d}{system_id}{_padded(counter, MIN_COUNTER_SIZE)}"
    return f"{body}{check_digit(body)}"


def random_number(system_id: str = DEFAULT_SYSTEM_ID, rng: _random.Random | None = None) -> str:
    """SystemID followed by a random number below 9999999999, zero-padded to 10 digits."""
    value = rng.randrange(9_999_999_999) if rng is not None else secrets.randbelow(9_999_999_999)
    return f"{system_id}{value:010d}"


def is_date_checksum_number(tn: str, system_id: str = DEFAULT_SYSTEM_ID) -> bool:
    """Return whether ``tn`` has the DateChecksum shape for ``system_id`` and a correct check digit."""
    pattern = rf"\d{{8}}{re.escape(system_id)}\d{{{MIN_COUNTER_SIZE},}}\d"
    if not re.fullmatch(pattern, tn):
        return False
    try:
        date(int(tn[:4]), int(tn[4:6]), int(tn[6:8]))
    except ValueError:
        return False
    return check_digit(tn[:-1]) == int(tn[-1])


def _padded(counter: int, size: int) -> str:
    if counter < 0:
        raise ValueError(f"a ticket counter cannot be negative (got {counter})")
    return f"{counter:0{size}d}"


class TicketNumberGenerator(Protocol):
    """What every generator offers; ``date_based`` generators restart their counter every day."""

    name: ClassVar[str]
    date_based: ClassVar[bool]
    uses_counter: ClassVar[bool]

    def create(self, counter: int, day: date) -> str: ...


@dataclass(frozen=True)
class AutoIncrementGenerator:
    """``Kernel::System::Ticket::Number::AutoIncrement``: the counter never resets."""

    system_id: str = DEFAULT_SYSTEM_ID
    min_counter_size: int = MIN_COUNTER_SIZE
    name: ClassVar[str] = "AutoIncrement"
    date_based: ClassVar[bool] = False
    uses_counter: ClassVar[bool] = True

    def create(self, counter: int, day: date) -> str:
        return auto_increment_number(counter, self.system_id, self.min_counter_size)


@dataclass(frozen=True)
class DateGenerator:
    """``Kernel::System::Ticket::Number::Date``: counter restarts daily, padded only with ``formatted_counter``."""

    system_id: str = DEFAULT_SYSTEM_ID
    formatted_counter: bool = False
    name: ClassVar[str] = "Date"
    date_based: ClassVar[bool] = True
    uses_counter: ClassVar[bool] = True

    def create(self, counter: int, day: date) -> str:
        return date_number(day, counter, self.system_id, self.formatted_counter)


@dataclass(frozen=True)
class DateChecksumGenerator:
    """``Kernel::System::Ticket::Number::DateChecksum``, the OTRS default: daily counter plus a check digit."""

    system_id: str = DEFAULT_SYSTEM_ID
    name: ClassVar[str] = "DateChecksum"
    date_based: ClassVar[bool] = True
    uses_counter: ClassVar[bool] = True

    def create(self, counter: int, day: date) -> str:
        return date_checksum_number(day, counter, self.system_id)


@dataclass(frozen=True)
class RandomGenerator:
    """``Kernel::System::Ticket::Number::Random`` (Znuny): no counter; ``rng`` makes it reproducible in tests."""

    system_id: str = DEFAULT_SYSTEM_ID
    rng: _random.Random | None = None
    name: ClassVar[str] = "Random"
    date_based: ClassVar[bool] = False
    uses_counter: ClassVar[bool] = False

    def create(self, counter: int, day: date) -> str:
        return random_number(self.system_id, self.rng)


GENERATORS: dict[str, type[TicketNumberGenerator]] = {
    cls.name: cls for cls in (AutoIncrementGenerator, DateGenerator, DateChecksumGenerator, RandomGenerator)
}
DEFAULT_GENERATOR = "DateChecksum"


def get_generator(name: str = DEFAULT_GENERATOR, system_id: str = DEFAULT_SYSTEM_ID) -> TicketNumberGenerator:
    """Return the generator named like the last part of ``Ticket::NumberGenerator`` (``DateChecksum``, ...)."""
    short = name.rsplit("::", 1)[-1]
    try:
        cls = GENERATORS[short]
    except KeyError:
        known = ", ".join(sorted(GENERATORS))
        raise ValueError(f"Unknown ticket number generator {name!r}; choose one of {known}.") from None
    return cls(system_id=system_id)  # type: ignore[call-arg]
