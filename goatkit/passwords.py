"""Password hashing: argon2id for every new hash; the legacy formats of OTRS/Znuny databases are still verified.

A database imported from OTRS or Znuny holds whatever ``Kernel::System::Auth::DB`` and ``User::SetPassword`` wrote
over the years (``AuthModule::DB::CryptType``): unsalted SHA-256/SHA-512/SHA-1 hex, DES ``crypt``, MD5-crypt
(``$1$``) and Apache's ``$apr1$``, and OTRS's own bcrypt notation ``BCRYPT:<cost>:<salt>:<hash>``.  The Go GOTRS
added ``sha256$<salt>$<hex>``, standard ``$2b$`` bcrypt and unsalted MD5 hex.  :func:`verify_password` accepts all
of them; :func:`needs_rehash` tells the caller to replace such a hash with argon2id after a successful sign-in.

Example::

    stored = hash_password("s3cret")                 # '$argon2id$v=19$m=65536,t=3,p=4$...'
    verify_password("s3cret", stored)                 # True
    verify_password("root", "roK20XGbWEsSM")          # True: OTRS's initial DES crypt of "root"
    needs_rehash("roK20XGbWEsSM")                     # True: store hash_password("root") now
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from collections.abc import Callable
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from goatkit.auth import legacy_hashes

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters

_ALPHABET = string.ascii_letters + string.digits

_HEX_DIGESTS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
_HEX = re.compile(r"\A[0-9a-fA-F]+\Z")
_DES = re.compile(r"\A[./0-9A-Za-z]{13}\Z")
_PREFIXES = (
    ("$argon2", "argon2"),
    ("BCRYPT:", "otrs-bcrypt"),
    ("$2a$", "bcrypt"),
    ("$2b$", "bcrypt"),
    ("$2y$", "bcrypt"),
    ("$1$", "md5-crypt"),
    ("$apr1$", "apr1"),
    ("$5$", "sha-crypt"),
    ("$6$", "sha-crypt"),
)


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password`` (it fits OTRS's ``pw VARCHAR(128)`` columns)."""
    return _HASHER.hash(password)


def identify(stored: str) -> str | None:
    """Name the format of a stored hash, or ``None`` when it is none that GoatKit verifies.

    Names: ``argon2``, ``otrs-bcrypt``, ``bcrypt``, ``salted-sha256``, ``md5-crypt``, ``apr1``, ``sha-crypt``,
    ``des-crypt``, ``md5``, ``sha1``, ``sha256``, ``sha512``.

    Example::

        identify("BCRYPT:9:Xq3zR8pLm2Nw7Tk4:5Y1VU5Fhrpt...")   # 'otrs-bcrypt'
    """
    for prefix, scheme in _PREFIXES:
        if stored.startswith(prefix):
            return scheme
    if stored.startswith("sha256$") and stored.count("$") == 2:
        return "salted-sha256"
    if _DES.match(stored):
        return "des-crypt"
    return _HEX_DIGESTS.get(len(stored)) if _HEX.match(stored) else None


def verify_password(password: str, stored: str | None) -> bool:
    """Return whether ``password`` matches ``stored``, in any format :func:`identify` names.

    An empty password, an empty or unknown hash, or a malformed one never matches (and never raises).
    """
    if not password or not stored:
        return False
    scheme = identify(stored)
    if scheme is None:
        return False
    try:
        return _VERIFIERS[scheme](password, stored)
    except ValueError:
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` should be replaced by a fresh argon2id hash (legacy format or outdated parameters)."""
    if identify(stored) != "argon2" or not stored.startswith("$argon2id$"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def dummy_verify(password: str) -> None:
    """Spend the time of one argon2 verification, so an unknown login answers as slowly as a known one."""
    verify_password(password or "-", _dummy_hash())


def generate_password(length: int = 20) -> str:
    """Return a random password of letters and digits, for accounts created without one."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def _verify_argon2(password: str, stored: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _hex_digest(password: str, stored: str) -> bool:
    algorithm = _HEX_DIGESTS[len(stored)]
    digest = hashlib.new(algorithm, password.encode("utf-8")).hexdigest()
    return hmac.compare_digest(digest, stored.lower())


def _salted_sha256(password: str, stored: str) -> bool:
    _, salt, expected = stored.split("$")
    digest = hashlib.sha256((password + salt).encode("utf-8")).hexdigest()
    return hmac.compare_digest(digest, expected.lower())


_VERIFIERS: dict[str, Callable[[str, str], bool]] = {
    "argon2": _verify_argon2,
    "otrs-bcrypt": legacy_hashes.verify_otrs_bcrypt,
    "bcrypt": legacy_hashes.verify_bcrypt,
    "salted-sha256": _salted_sha256,
    "md5-crypt": legacy_hashes.verify_md5_crypt,
    "apr1": legacy_hashes.verify_md5_crypt,
    "sha-crypt": legacy_hashes.verify_system_crypt,
    "des-crypt": legacy_hashes.verify_system_crypt,
    "md5": _hex_digest,
    "sha1": _hex_digest,
    "sha256": _hex_digest,
    "sha512": _hex_digest,
}
