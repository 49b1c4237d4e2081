"""Hashes from OTRS/Znuny and the Go GOTRS sign in, and are replaced by argon2id on the way."""

from __future__ import annotations

import hashlib

import pytest

from tests.modules.auth import AGENT, Helpdesk

# (password, stored) as OTRS, Znuny or the Go GOTRS wrote them.  The OTRS bcrypt value was made with Perl's
# Crypt::Eksblowfish::Bcrypt exactly as Kernel::System::User::SetPassword does; apr1 and $1$ with `openssl passwd`.
LEGACY = {
    "des-crypt": ("root", "roK20XGbWEsSM"),  # OTRS's initial root@localhost password
    "md5": ("md5-pw", hashlib.md5(b"md5-pw").hexdigest()),
    "sha1": ("sha1-pw", hashlib.sha1(b"sha1-pw").hexdigest()),
    "sha256": ("sha256-pw", hashlib.sha256(b"sha256-pw").hexdigest()),
    "sha512": ("sha512-pw", hashlib.sha512(b"sha512-pw").hexdigest()),
    "otrs-bcrypt": ("otrs-bcrypt-pw", "BCRYPT:9:Xq3zR8pLm2Nw7Tk4:5Y1VU5FhrptR5NEvl4D4YZf30d0ZDKy"),
    "md5-crypt": ("md5crypt-pw", "$1$Kp9d3$X22cRvMojsdi0jTAJaDX70"),
    "apr1": ("apr1-pw", "$apr1$Vb7sQ2xZ$UNMs/0EhCUGBZ6POEYNfk."),
    "salted-sha256": ("go-pw", "sha256$NaCl$" + hashlib.sha256(b"go-pwNaCl").hexdigest()),
}


@pytest.mark.parametrize("scheme", sorted(LEGACY))
def test_legacy_hash_signs_in_and_is_rehashed(make, scheme: str) -> None:  # type: ignore[no-untyped-def]
    desk: Helpdesk = make()
    password, stored = LEGACY[scheme]
    desk.set_password_hash(AGENT, stored)
    client = desk.client()
    assert desk.api_login(client, AGENT, password + "x").status_code == 401
    assert desk.password_hash(AGENT) == stored  # a failed attempt changes nothing
    assert desk.api_login(client, AGENT, password).status_code == 200
    rehashed = desk.password_hash(AGENT)
    assert rehashed.startswith("$argon2id$")
    assert desk.api_login(client, AGENT, password).status_code == 200  # and the new hash works


def test_rehash_on_postgresql_too(helpdesk: Helpdesk) -> None:
    password, stored = LEGACY["otrs-bcrypt"]
    helpdesk.set_password_hash(AGENT, stored)
    assert helpdesk.api_login(helpdesk.client(), AGENT, password).status_code == 200
    assert helpdesk.password_hash(AGENT).startswith("$argon2id$")
