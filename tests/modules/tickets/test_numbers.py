"""OTRS ticket-number formats, checked against the vectors in the compatibility notes (section 3.2)."""

from __future__ import annotations

import random
from datetime import date

import pytest

from modules.tickets.numbers import (
    AutoIncrementGenerator,
    DateChecksumGenerator,
    DateGenerator,
    RandomGenerator,
    auto_increment_number,
    check_digit,
    date_checksum_number,
    date_number,
    get_generator,
    is_date_checksum_number,
)

NEW_YEAR = date(2024, 1, 1)


@pytest.mark.parametrize(
    ("counter", "expected"),
    [
        (1, "2024010110000012"),
        (2, "2024010110000021"),  # sum = 9 (mod 10)
        (3, "2024010110000031"),  # sum = 0 (mod 10): 10 is written as 1
        (11, "2024010110000111"),
        (12345, "2024010110123452"),
        (100000, "20240101101000002"),  # 17 digits: the counter is not truncated
    ],
)
def test_date_checksum_vectors(counter: int, expected: str) -> None:
    assert date_checksum_number(NEW_YEAR, counter) == expected
    assert DateChecksumGenerator().create(counter, NEW_YEAR) == expected
    assert is_date_checksum_number(expected)


def test_header_comment_example() -> None:
    # The example in DateChecksum.pm's header: counter 10001 on 2002-06-23.
    assert date_checksum_number(date(2002, 6, 23), 10001) == "2002062310100011"


def test_check_digit_sums_raw_products_not_luhn() -> None:
    # 8 at a weight-2 position adds 16 (Luhn would add 1 + 6 = 7): 16 -> 10 - 6 = 4.
    assert check_digit("08") == 4
    assert check_digit("") == 1  # sum 0 gives 10, written as 1


def test_check_digit_is_never_zero() -> None:
    rng = random.Random(7)
    digits = ["".join(rng.choice("0123456789") for _ in range(rng.randint(1, 20))) for _ in range(2000)]
    assert {check_digit(d) for d in digits} == set(range(1, 10))


def test_check_digit_detects_single_digit_changes() -> None:
    tn = date_checksum_number(NEW_YEAR, 12345)
    for position in range(8, len(tn) - 1):  # counter and SystemID digits
        for replacement in "0123456789":
            if replacement == tn[position]:
                continue
            changed = tn[:position] + replacement + tn[position + 1 :]
            # Weight 1 positions catch every change; weight 2 positions miss only changes by 5.
            if abs(int(replacement) - int(tn[position])) != 5 or position % 2 == 0:
                assert not is_date_checksum_number(changed), changed


@pytest.mark.parametrize(
    "tn",
    [
        "2024010110000013",  # wrong check digit
        "2024010120000012",  # another SystemID
        "2024130110000012",  # month 13
        "202401011000012",  # counter shorter than 5 digits
        "abc",
    ],
)
def test_invalid_date_checksum_numbers(tn: str) -> None:
    assert not is_date_checksum_number(tn)


def test_auto_increment() -> None:
    assert auto_increment_number(1) == "1000001"
    assert auto_increment_number(12345) == "1012345"
    assert AutoIncrementGenerator().create(1, NEW_YEAR) == "1000001"
    assert AutoIncrementGenerator(system_id="42", min_counter_size=7).create(5, NEW_YEAR) == "420000005"


def test_date() -> None:
    assert date_number(NEW_YEAR, 1) == "20240101101"
    assert date_number(NEW_YEAR, 1, formatted=True) == "202401011000001"
    assert DateGenerator().create(1, NEW_YEAR) == "20240101101"
    assert DateGenerator(formatted_counter=True).create(1, NEW_YEAR) == "202401011000001"


def test_random_is_twelve_digits_starting_with_system_id() -> None:
    for tn in (RandomGenerator().create(0, NEW_YEAR) for _ in range(50)):
        assert len(tn) == 12 and tn.isdigit() and tn.startswith("10")
    seeded = [RandomGenerator(rng=random.Random(1)).create(0, NEW_YEAR) for _ in range(2)]
    assert seeded[0] == seeded[1]


def test_negative_counter_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^a ticket counter cannot be negative \(got -1\)$"):
        date_checksum_number(NEW_YEAR, -1)


def test_generator_lookup() -> None:
    assert isinstance(get_generator(), DateChecksumGenerator)
    assert get_generator("Kernel::System::Ticket::Number::AutoIncrement").create(3, NEW_YEAR) == "1000003"
    assert get_generator("Date", system_id="77").create(2, NEW_YEAR) == "20240101772"
    assert DateChecksumGenerator.date_based and not AutoIncrementGenerator.date_based
    with pytest.raises(ValueError, match=r"^Unknown ticket number generator 'Luhn'; choose one of AutoIncrement, "):
        get_generator("Luhn")
