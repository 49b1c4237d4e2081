"""Every hash format verifies its password and only its password; argon2id is what new hashes are."""

from __future__ import annotations

import hashlib

import bcrypt
import pytest

from goatkit.auth.legacy_hashes import _system_crypt, md5_crypt
from goatkit.passwords import hash_password, identify, needs_rehash, verify_password

# The OTRS bcrypt value comes from Perl's Crypt::Eksblowfish::Bcrypt (key_nul => 1, cost 9, a 16-character salt),
# exactly as Kernel::System::User::SetPassword writes it; the crypt values from `openssl passwd` and crypt(3).
VECTORS = [
    ("des-crypt", "root", "roK20XGbWEsSM"),
    ("md5", "md5-pw", hashlib.md5(b"md5-pw").hexdigest()),
    ("sha1", "sha1-pw", hashlib.sha1(b"sha1-pw").hexdigest()),
    ("sha256", "sha256-pw", hashlib.sha256(b"sha256-pw").hexdigest()),
    ("sha512", "sha512-pw", hashlib.sha512(b"sha512-pw").hexdigest()),
    ("sha256", "Grüße", hashlib.sha256("Grüße".encode()).hexdigest().upper()),
    ("otrs-bcrypt", "otrs-bcrypt-pw", "BCRYPT:9:Xq3zR8pLm2Nw7Tk4:5Y1VU5FhrptR5NEvl4D4YZf30d0ZDKy"),
    ("bcrypt", "go-bcrypt", bcrypt.hashpw(b"go-bcrypt", bcrypt.gensalt(4)).decode()),
    ("md5-crypt", "md5crypt-pw", "$1$Kp9d3$X22cRvMojsdi0jTAJaDX70"),
    ("apr1", "apr1-pw", "$apr1$Vb7sQ2xZ$UNMs/0EhCUGBZ6POEYNfk."),
    (
        "sha-crypt",
        "root",
        "$6$abc$WVzy1mzYOy5NbS.iVoa0XmNYJ6YUTZvtfDgbXOJ2AVO/IWzz5.koR6GZdcjtK6As0Rw.UtsEl/1qT4nKeCxKT1",
    ),
    ("salted-sha256", "go-pw", "sha256$NaCl$" + hashlib.sha256(b"go-pwNaCl").hexdigest()),
    ("argon2", "new-pw", hash_password("new-pw")),
]


@pytest.mark.parametrize(("scheme", "password", "stored"), VECTORS, ids=[v[0] + str(i) for i, v in enumerate(VECTORS)])
def test_each_format_verifies(scheme: str, password: str, stored: str) -> None:
    assert identify(stored) == scheme
    assert verify_password(password, stored)
    assert not verify_password(password + "x", stored)
    assert not verify_password("", stored)
    assert needs_rehash(stored) is (scheme != "argon2")


def test_md5_crypt_matches_the_system_crypt() -> None:
    system_crypt = _system_crypt()
    for password, salt in (("", "ab"), ("a" * 40, "saltsalt"), ("pässwort", "x1")):
        assert md5_crypt(password, salt) == system_crypt(password, f"$1${salt}$")


def test_new_hashes_are_argon2id_and_fit_otrs_columns() -> None:
    stored = hash_password("s3cret")
    assert stored.startswith("$argon2id$") and len(stored) <= 128
    assert hash_password("s3cret") != stored  # salted


@pytest.mark.parametrize(
    "stored",
    ["", "plain-text", "BCRYPT:9:short:xx", "BCRYPT:x:Xq3zR8pLm2Nw7Tk4:abc", "$2b$04$broken", "$1$", "sha256$a"],
)
def test_malformed_or_unknown_hashes_never_match(stored: str) -> None:
    assert not verify_password("anything", stored)
    assert not verify_password("plain-text", stored)


def test_long_passwords_work_with_bcrypt_formats() -> None:
    long = "x" * 100
    stored = bcrypt.hashpw(long.encode()[:72], bcrypt.gensalt(4)).decode()
    assert verify_password(long, stored)
