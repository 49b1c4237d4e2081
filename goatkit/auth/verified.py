"""Tokens whose signature was already checked, so a client sending the same token again costs a dictionary look-up.

Checking an HS256 token (base64 segments, the HMAC, the claims) is a sizeable part of a small API request, and a
client sends the same access token for its whole life (15 minutes).  A token is the signed text itself, so its
claims cannot differ from one check to the next; only time changes the answer, and :meth:`VerifiedTokens.get`
checks the expiry on every hit.  Revocation is not cached: the loader asks about it on every request.  The cache is
per app (one secret key) and bounded (least recently used tokens leave first).

Example::

    verified = VerifiedTokens(max_size=2)
    verified.put("eyJ...", {"exp": time.time() + 60, "sid": "s1"})
    verified.get("eyJ...")        # a copy of the claims, or None once expired or unknown
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

MAX_SIZE = 10_000


def _now() -> float:
    return time.time()  # looked up on each call: tests may move time


class VerifiedTokens:
    def __init__(self, max_size: int = MAX_SIZE, clock: Callable[[], float] | None = None) -> None:
        self.max_size = max_size
        self.clock = clock or _now
        self._claims: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> dict[str, Any] | None:
        """The claims of ``token`` if it was verified and has not expired since (a copy: callers may change it)."""
        with self._lock:
            claims = self._claims.get(token)
            if claims is None:
                return None
            if not self.clock() < claims["exp"]:
                del self._claims[token]
                return None
            self._claims.move_to_end(token)
        return dict(claims)

    def put(self, token: str, claims: dict[str, Any]) -> None:
        """Remember ``token``'s verified claims (they must hold ``exp``)."""
        with self._lock:
            self._claims[token] = dict(claims)
            self._claims.move_to_end(token)
            while len(self._claims) > self.max_size:
                self._claims.popitem(last=False)
