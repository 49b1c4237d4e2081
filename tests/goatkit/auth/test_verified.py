"""The cache of verified tokens: a hit until the token expires, a bounded size, claims that callers cannot spoil."""

from __future__ import annotations

from goatkit.auth.verified import VerifiedTokens


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_verified_token_is_a_hit_until_it_expires_and_then_forgotten() -> None:
    clock = Clock()
    verified = VerifiedTokens(clock=clock)
    verified.put("token-a", {"exp": 1010, "sid": "s1"})
    assert verified.get("token-a") == {"exp": 1010, "sid": "s1"}
    assert verified.get("token-b") is None
    clock.now = 1010.0  # exp is the first second the token is no longer valid
    assert verified.get("token-a") is None
    clock.now = 1000.0  # forgotten, not merely hidden
    assert verified.get("token-a") is None


def test_the_least_recently_used_token_leaves_first() -> None:
    verified = VerifiedTokens(max_size=2, clock=Clock())
    verified.put("a", {"exp": 2000})
    verified.put("b", {"exp": 2000})
    assert verified.get("a") is not None  # a is now the most recently used
    verified.put("c", {"exp": 2000})
    assert [verified.get(name) is not None for name in ("a", "b", "c")] == [True, False, True]


def test_callers_get_copies() -> None:
    verified = VerifiedTokens(clock=Clock())
    claims = {"exp": 2000, "realm": "agent"}
    verified.put("a", claims)
    claims["realm"] = "changed after put"
    first = verified.get("a")
    assert first is not None
    first["realm"] = "changed by a caller"
    assert verified.get("a") == {"exp": 2000, "realm": "agent"}
