"""Verifiers for the password hashes older systems stored; :mod:`goatkit.passwords` dispatches to them.

* OTRS bcrypt, ``BCRYPT:<cost>:<salt>:<hash>``: Perl's ``Crypt::Eksblowfish::Bcrypt::bcrypt_hash`` with
  ``key_nul => 1``, a salt of 16 *characters used as raw octets*, and the 23-octet result in bcrypt's base64.  That
  is exactly standard ``$2a$`` bcrypt once the salt is written in bcrypt's base64, so the maintained ``bcrypt``
  package verifies it.
* MD5-crypt (``$1$``) and Apache's variant (``$apr1$``, OTRS CryptType ``apr1``): implemented here (the algorithm
  is fixed and short), because glibc/libxcrypt does not know ``$apr1$``.
* DES crypt (13 characters, OTRS's initial ``roK20XGbWEsSM``) and SHA-crypt (``$5$``, ``$6$``): the system's
  ``crypt(3)`` (libxcrypt, the same function OTRS's Perl ``crypt()`` called).  Python 3.11 and 3.12 reach it through
  the standard ``crypt`` module (deprecated, removed in 3.13); from 3.13 on through ``crypt_r``, the copy of that
  module maintained by Fedora's Python maintainers (setup.cfg installs it there only; it builds against
  ``libcrypt-dev``).  passlib would also do, but it is unmaintained; a pure-Python DES would be more code to trust.

Passwords are encoded as UTF-8 octets, as OTRS's ``EncodeOutput`` does before hashing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import warnings
from collections.abc import Callable

import bcrypt

_STD_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BCRYPT_B64 = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_TO_BCRYPT_B64 = bytes.maketrans(_STD_B64, _BCRYPT_B64)
_CRYPT64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BCRYPT_MAX_KEY = 72  # bcrypt reads at most 72 octets; Eksblowfish and Go truncate, the bcrypt package refuses


def verify_otrs_bcrypt(password: str, stored: str) -> bool:
    """Check ``BCRYPT:<cost>:<16-char salt>:<31-char hash>`` as OTRS/Znuny write it."""
    _, cost, salt, expected = stored.split(":", 3)
    if len(salt) != 16 or not cost.isdigit() or not 4 <= int(cost) <= 31:
        raise ValueError("malformed OTRS bcrypt hash")
    encoded_salt = base64.b64encode(salt.encode("utf-8")).rstrip(b"=").translate(_TO_BCRYPT_B64)
    setting = b"$2a$%02d$" % int(cost) + encoded_salt
    computed = bcrypt.hashpw(_bcrypt_key(password), setting)
    return hmac.compare_digest(computed[-31:], expected.encode("ascii"))


def verify_bcrypt(password: str, stored: str) -> bool:
    """Check a standard ``$2a$``/``$2b$``/``$2y$`` bcrypt hash (written by the Go GOTRS)."""
    return bcrypt.checkpw(_bcrypt_key(password), stored.encode("ascii"))


def verify_md5_crypt(password: str, stored: str) -> bool:
    """Check an MD5-crypt hash: ``$1$<salt>$<hash>`` or ``$apr1$<salt>$<hash>``."""
    _, magic, salt, _hash = stored.split("$", 3)
    computed = md5_crypt(password, salt, f"${magic}$")
    return hmac.compare_digest(computed, stored)


def verify_system_crypt(password: str, stored: str) -> bool:
    """Check a hash the system's ``crypt(3)`` understands (DES, ``$5$``, ``$6$``)."""
    computed = _system_crypt()(password, stored)
    return computed is not None and hmac.compare_digest(computed, stored)


def _system_crypt() -> Callable[[str, str], str | None]:
    try:
        import crypt_r

        return crypt_r.crypt  # type: ignore[no-any-return]
    except ImportError:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # Python < 3.13: the same libxcrypt binding

        return crypt.crypt


def md5_crypt(password: str, salt: str, magic: str = "$1$") -> str:
    """Poul-Henning Kamp's MD5-crypt, as ``unix_md5_crypt`` (``$1$``) and ``apache_md5_crypt`` (``$apr1$``).

    Example::

        md5_crypt("md5crypt-pw", "Kp9d3")   # '$1$Kp9d3$X22cRvMojsdi0jTAJaDX70'
    """
    pw, salt_b, magic_b = password.encode("utf-8"), salt.encode("utf-8")[:8], magic.encode("ascii")
    alternate = hashlib.md5(pw + salt_b + pw).digest()  # noqa: S324 - the legacy format is MD5 by definition
    ctx = pw + magic_b + salt_b
    for remaining in range(len(pw), 0, -16):
        ctx += alternate[: min(16, remaining)]
    length = len(pw)
    while length:
        ctx += b"\x00" if length & 1 else pw[:1]
        length >>= 1
    final = hashlib.md5(ctx).digest()  # noqa: S324
    for round_ in range(1000):
        step = pw if round_ & 1 else final
        if round_ % 3:
            step += salt_b
        if round_ % 7:
            step += pw
        step += final if round_ & 1 else pw
        final = hashlib.md5(step).digest()  # noqa: S324
    groups = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))
    encoded = "".join(_crypt64((final[a] << 16) | (final[b] << 8) | final[c], 4) for a, b, c in groups)
    encoded += _crypt64(final[11], 2)
    return f"{magic}{salt_b.decode('utf-8', 'replace')}${encoded}"


def _crypt64(value: int, count: int) -> str:
    chars = []
    for _ in range(count):
        chars.append(_CRYPT64[value & 0x3F])
        value >>= 6
    return "".join(chars)


def _bcrypt_key(password: str) -> bytes:
    return password.encode("utf-8")[:_BCRYPT_MAX_KEY]
