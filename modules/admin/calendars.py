"""Checks for the working-time calendars admin module (``modules/calendar.yaml``): the hook ``calendar_rules``.

Every rule is parsed as escalation will read it (``goatkit.worktime``), so a calendar that saves is one escalation
can count in: business hours per weekday as ``08:00-12:00, 13:00-17:00`` (empty: a day off; at least one day must
have hours), recurring holidays as ``MM-DD name`` lines, one-time holidays as ``YYYY-MM-DD name`` lines, and an IANA
time zone.  Each problem is one sentence on its field; the name is trimmed (``''`` is the default calendar, so it
stays allowed).

Example::

    CalendarRules().validate(ctx)   # {"hours_mon": ["'8-17' is not a range of hours like 08:00-17:00."]}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from goatkit.engine.forms import FormErrors
from goatkit.engine.hooks import ModuleHook, WriteContext, register
from goatkit.worktime import WEEKDAYS, CalendarError, parse_holidays, parse_hours, parse_one_time, zone

CHECKS: dict[str, Callable[[str], Any]] = {
    **{f"hours_{day}": parse_hours for day in WEEKDAYS},
    "holidays": parse_holidays,
    "one_time_holidays": parse_one_time,
    "time_zone": zone,
}


class CalendarRules(ModuleHook):
    """Parse each rule of a calendar before it is written (see the module docstring)."""

    def validate(self, ctx: WriteContext) -> FormErrors:
        merged = {**(ctx.old or {}), **ctx.values}
        errors: FormErrors = {}
        for name, check in CHECKS.items():
            if name not in ctx.values:
                continue
            text = str(ctx.values[name] or "").strip()
            ctx.values[name] = text
            try:
                check(text or ("UTC" if name == "time_zone" else ""))
            except CalendarError as error:
                errors[name] = [str(error)]
        if "name" in ctx.values:
            ctx.values["name"] = str(ctx.values["name"] or "").strip()
        hours = [str(merged.get(f"hours_{day}") or "").strip() for day in WEEKDAYS]
        if not errors and not any(hours):
            errors["hours_mon"] = ["Give working hours for at least one weekday, such as 08:00-17:00."]
        return errors


register("calendar_rules", CalendarRules())
