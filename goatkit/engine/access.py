"""Who may do what with a module: the actions it offers, and the group permission each action needs.

A module's ``permissions`` key says which actions it offers and, optionally, who may do each::

    permissions: [view, create, update, delete]           # offered; each needs the default (group admin, key rw)
    permissions:
      view: {group: users, key: ro}                       # agents with ro on group users may look
      update: admin                                       # group admin, the default key rw
      export: "stats:ro"                                  # group:key
      delete: true                                        # the default requirement
      import: false                                       # not offered

Without the key a module offers view, create, update and delete (as every GOTRS module did).  ``export`` and
``import`` are offered when listed, or when the module's ``export_csv``/``import_csv`` feature is on.

GoatKit knows nothing of OTRS groups: the application registers a :data:`GroupCheck` with :func:`init_app`
(GOTRS checks the OTRS group permissions of the signed-in agent).  Without one, nobody passes a check; the engine
never falls back to "allow".

Example::

    require(module, "update")                 # raises AccessDenied (401/403 with a message) or returns
    allowed_actions(module)                   # frozenset({'view', 'update'}) for the current identity
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g

from goatkit.auth.identity import Identity, current_identity
from goatkit.engine.model import ResolvedModule

#: ``check(identity, group, key) -> bool``: does this identity hold ``key`` on ``group``?
GroupCheck = Callable[[Identity, str, str], bool]

ACTIONS = ("view", "create", "update", "delete", "export", "import")
CRUD = ("view", "create", "update", "delete")
DEFAULT_GROUP, DEFAULT_KEY = "admin", "rw"
_EXTENSION_KEY = "goatkit.engine.access"


@dataclass(frozen=True)
class Requirement:
    """The group permission an action needs."""

    group: str = DEFAULT_GROUP
    key: str = DEFAULT_KEY

    def __str__(self) -> str:
        return f"the '{self.key}' permission on group '{self.group}'"


class AccessDenied(Exception):
    """An action the current identity may not do: ``status`` 401 (nobody signed in), 403 or 404 (not offered)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def init_app(app: Flask, check: GroupCheck) -> None:
    """Register the application's group permission check."""
    app.extensions[_EXTENSION_KEY] = check


def requirements(module: ResolvedModule) -> dict[str, Requirement]:
    """The actions ``module`` offers, each with the permission it needs."""
    spec = module.spec
    features = spec.features
    if "permissions" not in spec.model_fields_set:
        offered: dict[str, Requirement] = {action: Requirement() for action in CRUD}
    elif isinstance(spec.permissions, list):
        offered = {action: Requirement() for action in spec.permissions}
    else:
        offered = {}
        for action, rule in spec.permissions.items():
            requirement = _requirement(rule)
            if requirement is not None:
                offered[action] = requirement
    for action, feature in (("export", "export_csv"), ("import", "import_csv")):
        if features.get(feature) and action not in offered and not _refused(spec.permissions, action):
            offered[action] = offered.get("view" if action == "export" else "create", Requirement())
    return offered


def _refused(permissions: list[str] | dict[str, object], action: str) -> bool:
    return isinstance(permissions, dict) and permissions.get(action) is False


def _requirement(rule: object) -> Requirement | None:
    """``true``/``None`` -> default; ``false`` -> not offered; ``"group"``, ``"group:key"``; ``{group, key}``."""
    if rule is False:
        return None
    if rule is True or rule is None:
        return Requirement()
    if isinstance(rule, str):
        group, _, key = rule.partition(":")
        return Requirement(group.strip() or DEFAULT_GROUP, key.strip() or DEFAULT_KEY)
    if isinstance(rule, dict):
        return Requirement(str(rule.get("group") or DEFAULT_GROUP), str(rule.get("key") or DEFAULT_KEY))
    raise ValueError(f"a permission rule is true, false, 'group', 'group:key' or {{group, key}}, not {rule!r}")


def rule_problem(rule: object) -> str | None:
    """Why a spec's permission rule is unusable, or ``None`` (for ``gotrs check`` and the registry)."""
    try:
        _requirement(rule)
    except ValueError as error:
        return str(error)
    if isinstance(rule, dict) and set(rule) - {"group", "key"}:
        return f"a permission rule has the keys group and key, not {sorted(set(rule) - {'group', 'key'})}"
    return None


def _group_check() -> GroupCheck | None:
    check = current_app.extensions.get(_EXTENSION_KEY)
    return check if callable(check) else None


def may(module: ResolvedModule, action: str, identity: Identity | None = None) -> bool:
    """Whether ``identity`` (default: the current one) may do ``action`` on ``module``; cached per request."""
    identity = identity if identity is not None else current_identity()
    requirement = requirements(module).get(action)
    return identity is not None and requirement is not None and _holds(identity, requirement)


def _holds(identity: Identity, requirement: Requirement) -> bool:
    """The application's group check, asked at most once per request for each identity and requirement."""
    check = _group_check()
    if check is None:
        return False
    cache: dict[tuple[object, ...], bool] = g.setdefault("_goatkit_access", {})
    key = (identity.realm, identity.id, requirement.group, requirement.key)
    if key not in cache:
        cache[key] = bool(check(identity, requirement.group, requirement.key))
    return cache[key]


def allowed_actions(module: ResolvedModule, identity: Identity | None = None) -> frozenset[str]:
    """The actions of ``module`` the identity may do (what the screen offers: buttons, links, bulk actions)."""
    return frozenset(action for action in requirements(module) if may(module, action, identity))


def require(module: ResolvedModule, action: str) -> None:
    """Return if the current identity may do ``action`` on ``module``; raise :class:`AccessDenied` otherwise."""
    requirement = requirements(module).get(action)
    if requirement is None:
        raise AccessDenied(403, f"Module '{module.name}' does not offer {action}.")
    if current_identity() is None:
        raise AccessDenied(401, "Sign in first.")
    if not may(module, action):
        raise AccessDenied(403, f"You need {requirement} to {action} {module.name} records.")


def is_admin(identity: Identity | None = None) -> bool:
    """Whether the identity holds the default requirement (``rw`` on group ``admin``): who sees registry problems."""
    identity = identity if identity is not None else current_identity()
    return identity is not None and _holds(identity, Requirement())
