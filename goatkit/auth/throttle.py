"""Sign-in throttling: failed attempts counted per login and per client IP, then growing lock-outs.

Failures are counted in a fixed window (``auth_failure_window_seconds``, default 5 minutes) in
:mod:`goatkit.counters`, so every worker sees them (Redis, or the database).  When a login reaches
``auth_login_failures`` (default 5) or an IP ``auth_ip_failures`` (default 20: offices share an address), it is
locked for ``auth_lockout_seconds`` (30 s); each further lock-out within a day doubles, up to
``auth_lockout_max_seconds`` (1 h).  While locked, attempts are refused with 429 and ``Retry-After`` *before* the
password is looked at, so a locked account cannot be probed.  Unknown logins are counted exactly like known ones.
A successful sign-in clears its login's failures (not its IP's: signing into one's own account must not reset a
spraying attacker's count).

Example::

    throttle = LoginThrottle(counters_for(platform), settings)
    keys = throttle.keys("agent", "jane", "10.0.0.5")
    if (wait := throttle.locked_for(keys)):
        return too_many(wait)
    ...
    throttle.failed(keys)   # or throttle.succeeded(keys)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goatkit.counters import Counters
    from goatkit.settings import Settings

_STRIKE_WINDOW = 86400


@dataclass(frozen=True)
class ThrottleKey:
    name: str  # "login:agent:jane" or "ip:10.0.0.5"
    limit: int


class LoginThrottle:
    def __init__(self, counters: Counters, settings: Settings) -> None:
        self.counters = counters
        self.window = settings.auth_failure_window_seconds
        self.lockout = settings.auth_lockout_seconds
        self.lockout_max = settings.auth_lockout_max_seconds
        self.login_limit = settings.auth_login_failures
        self.ip_limit = settings.auth_ip_failures

    def keys(self, realm: str, login: str, ip: str) -> tuple[ThrottleKey, ThrottleKey]:
        """The two counters an attempt is charged to: the login (within its realm) and the client IP."""
        return (
            ThrottleKey(f"login:{realm}:{login.strip().lower()[:200]}", self.login_limit),
            ThrottleKey(f"ip:{ip or '-'}", self.ip_limit),
        )

    def locked_for(self, keys: tuple[ThrottleKey, ...]) -> int:
        """Seconds until an attempt may be made; 0 when none of ``keys`` is locked."""
        waits = [self.counters.seconds_left(f"auth-lock:{key.name}") for key in keys]
        locked = [wait for key, wait in zip(keys, waits, strict=True) if wait and self._is_locked(key)]
        return max(locked, default=0)

    def failed(self, keys: tuple[ThrottleKey, ...]) -> int:
        """Count a failure on each key; lock those at their limit.  Return the longest lock started (0: none)."""
        longest = 0
        for key in keys:
            failures = self.counters.hit(f"auth-fail:{key.name}", self.window)
            if failures >= key.limit:
                strikes = self.counters.hit(f"auth-strike:{key.name}", _STRIKE_WINDOW)
                duration = min(self.lockout * 2 ** min(strikes - 1, 20), self.lockout_max)
                self.counters.reset(f"auth-lock:{key.name}")
                self.counters.hit(f"auth-lock:{key.name}", duration)
                longest = max(longest, duration)
        return longest

    def succeeded(self, keys: tuple[ThrottleKey, ...]) -> None:
        """Forget the failures and lock-outs of the login key (the first)."""
        login_key = keys[0].name
        for prefix in ("auth-fail", "auth-strike", "auth-lock"):
            self.counters.reset(f"{prefix}:{login_key}")

    def _is_locked(self, key: ThrottleKey) -> bool:
        return self.counters.count(f"auth-lock:{key.name}") > 0
