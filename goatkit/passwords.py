"""Password hashing: argon2id for every new hash.

Verification of the legacy formats found in OTRS/Znuny databases (crypt, MD5, SHA-1/256/512, bcrypt) arrives with
sign-in; new passwords are always argon2id.

Example::

    stored = hash_password("s3cret")
    assert verify_password("s3cret", stored)
"""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters

_ALPHABET = string.ascii_letters + string.digits


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password`` (it fits OTRS's ``pw VARCHAR(128)`` columns)."""
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """Return whether ``password`` matches an argon2 hash ``stored``."""
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_password(length: int = 20) -> str:
    """Return a random password of letters and digits, for accounts created without one."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
