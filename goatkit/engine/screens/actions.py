"""Extra links a module's spec adds to its list (``ui.actions``): per row, or once above the list.

Each action is ``{label, url, scope: row|page, permission}``: ``url`` is a path on this site or an http(s) address,
where ``{id}`` (or ``:id``) stands for the row's key; ``permission`` names the module action the agent needs to see
it (default ``view``).  GOTRS wrote the same list; entries without a label or a usable URL are left out (and
logged once), never rendered as a broken link.

Example::

    ui:
      actions:
        - {label: Members, url: "/admin/members?group_id={id}"}
        - {label: Help, url: "https://doc.example.org/queues", scope: page}
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from goatkit.engine.fieldtypes import label_text
from goatkit.engine.model import ResolvedModule

log = logging.getLogger("goatkit.engine")
_SAFE_URL = re.compile(r"(/(?!/)|https?://)[^\s\"'<>]*", re.IGNORECASE)
_WARNED: set[tuple[str, int]] = set()


@dataclass(frozen=True)
class UiAction:
    label: str
    url: str
    scope: str  # "row" or "page"
    permission: str

    def href(self, key: Any = None) -> str:
        """The URL, with the row's key in place of ``{id}``/``:id`` (URL-quoted)."""
        if key is None:
            return self.url
        quoted = quote(str(key), safe="")
        return self.url.replace("{id}", quoted).replace(":id", quoted)


def ui_actions(module: ResolvedModule) -> tuple[UiAction, ...]:
    """The usable ``ui.actions`` of ``module``, in spec order."""
    found = []
    for index, raw in enumerate(module.spec.ui.actions):
        action = _parse(raw)
        if action is None:
            if (module.name, index) not in _WARNED:
                _WARNED.add((module.name, index))
                log.warning(
                    "module '%s': ui.actions.%d needs a label and a site path or http(s) URL", module.name, index
                )
            continue
        found.append(action)
    return tuple(found)


def _parse(raw: Mapping[str, Any]) -> UiAction | None:
    label, url = raw.get("label") or raw.get("name"), str(raw.get("url") or raw.get("href") or "")
    if not label or not _SAFE_URL.fullmatch(url):
        return None
    scope = "page" if str(raw.get("scope") or raw.get("type") or "row") == "page" else "row"
    return UiAction(label_text(str(label), str(label)), url, scope, str(raw.get("permission") or "view"))
