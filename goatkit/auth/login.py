"""Signing in: throttle, check the password (or the directory), re-hash legacy hashes, start a session.

One function serves the sign-in page and the JSON API, so both behave the same: the same throttle, the same
message for an unknown login and a wrong password ("Login failed: wrong login or password."), and about the same
time for both (an unknown login still costs one argon2 verification).

**Directory (LDAP) first.**  When the realm has a directory, it is asked first; a successful bind signs the user in
(creating the row on first sign-in when the realm can provision and ``create_users`` is on; an invalid row is still
refused).  When the directory says no, or cannot be reached, the local password is checked, so local accounts such
as ``root@localhost`` keep working; provisioned rows get a random password, so they sign in through LDAP only.

Example::

    outcome = sign_in(realm, "root@localhost", "pw", ip="10.0.0.5")
    if outcome.account:
        session, tokens = start_session(realm, outcome.account, ip="10.0.0.5", user_agent="curl/8")
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Connection

from goatkit.auth.accounts import Account, find_account, get_account, store_password_hash
from goatkit.auth.ldap import DirectoryUnavailable, DirectoryUser
from goatkit.auth.realm import Realm
from goatkit.auth.sessions import SessionRecord
from goatkit.auth.state import current_auth
from goatkit.auth.tokens import TokenPair, issue_tokens
from goatkit.passwords import dummy_verify, hash_password, identify, needs_rehash, verify_password
from goatkit.platform import current_platform

log = logging.getLogger("goatkit.auth")

FAILED = "Login failed: wrong login or password."


@dataclass(frozen=True)
class SignInOutcome:
    account: Account | None = None
    retry_after: int = 0  # > 0: throttled, try again in that many seconds

    @property
    def message(self) -> str:
        if self.retry_after:
            return f"Too many failed sign-ins. Try again in {self.retry_after} seconds."
        return "" if self.account else FAILED


def sign_in(realm: Realm, login: str, password: str, *, ip: str) -> SignInOutcome:
    """Check ``login`` and ``password`` in ``realm``, counting failures; never says whether the login exists."""
    throttle = current_auth().throttle
    keys = throttle.keys(realm.name, login, ip)
    wait = throttle.locked_for(keys)
    if wait:
        log.info("sign-in refused: throttled", extra={"realm": realm.name, "login": login, "ip": ip})
        return SignInOutcome(retry_after=wait)
    account = _check_credentials(realm, login, password)
    if account is None:
        throttle.failed(keys)
        log.info("sign-in failed", extra={"realm": realm.name, "login": login, "ip": ip})
        return SignInOutcome()
    throttle.succeeded(keys)
    return SignInOutcome(account=account)


def start_session(realm: Realm, account: Account, *, ip: str, user_agent: str) -> tuple[SessionRecord, TokenPair]:
    """Create the session row and its tokens."""
    auth = current_auth()
    auth.sessions.purge()
    auth.revocations.purge_expired()
    session = auth.sessions.create(
        realm=realm.name,
        user_id=account.id,
        login=account.login,
        ip=ip,
        user_agent=user_agent,
        lifetime=auth.settings.auth_refresh_token_seconds,
    )
    log.info("signed in", extra={"realm": realm.name, "login": account.login, "session": session.session_id[:8]})
    return session, issue_tokens(realm, account, session)


def _check_credentials(realm: Realm, login: str, password: str) -> Account | None:
    directory_user = _ask_directory(realm, login, password)
    with current_platform().engine.begin() as conn:
        account = find_account(conn, realm, login)
        if directory_user is not None:
            if account is None:
                account = _provision(conn, realm, directory_user)
            return account if account is not None and account.valid else None
        if account is None or not account.password_hash:
            dummy_verify(password)
            return None
        if not verify_password(password, account.password_hash) or not account.valid:
            return None
        if needs_rehash(account.password_hash):
            log.info(
                "password re-hashed to argon2id",
                extra={"realm": realm.name, "login": account.login, "from": identify(account.password_hash)},
            )
            store_password_hash(conn, realm, account.id, hash_password(password))
        return account


def _ask_directory(realm: Realm, login: str, password: str) -> DirectoryUser | None:
    if realm.directory is None:
        return None
    try:
        return realm.directory.authenticate(login, password)
    except DirectoryUnavailable as exc:
        log.warning("directory unavailable, checking the local password instead: %s", exc)
        return None


def _provision(conn: Connection, realm: Realm, user: DirectoryUser) -> Account | None:
    if realm.provision is None or realm.directory is None or not realm.directory.settings.create_users:
        return None
    new_id = realm.provision(conn, user)
    log.info("user created from the directory", extra={"realm": realm.name, "login": user.login})
    return get_account(conn, realm, new_id)


def end_session(session_id: str) -> SessionRecord | None:
    """End a session and revoke its id, so its access and refresh tokens are refused from the next request on."""
    auth = current_auth()
    record = auth.sessions.end(session_id)
    if record is not None:
        auth.revocations.revoke(session_id, expires_at=record.expires_at)
        log.info("session ended", extra={"realm": record.realm, "login": record.login, "session": session_id[:8]})
    return record
