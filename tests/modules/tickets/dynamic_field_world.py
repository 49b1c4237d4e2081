"""Dynamic field definitions for tests: rows of ``dynamic_field`` with their configuration as OTRS's YAML."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert

from modules.admin.dynamic_fields import DEFAULTS, to_yaml
from modules.db.schema import metadata

T = metadata.tables
NOW = datetime(2024, 3, 15, 12, 0, 0)
_ORDER = itertools.count(100)


def make_field(
    engine: Engine,
    field_type: str,
    *,
    prefix: str = "F",
    object_type: str = "Ticket",
    screens: dict[str, int] | None = None,
    valid: bool = True,
    **config: Any,
) -> str:
    """A new dynamic field with a unique name (returned); ``config`` over the type's OTRS defaults."""
    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    settings = {**DEFAULTS[field_type], **config}
    if screens:
        settings["Screens"] = {screen: str(how) for screen, how in screens.items()}
    with engine.begin() as conn:
        conn.execute(
            insert(T["dynamic_field"]).values(
                internal_field=0, name=name, label=f"{prefix} label", field_order=next(_ORDER),
                field_type=field_type, object_type=object_type, config=to_yaml(settings).encode(),
                valid_id=1 if valid else 2, create_time=NOW, create_by=1, change_time=NOW, change_by=1,
            )
        )  # fmt: skip
    return name
