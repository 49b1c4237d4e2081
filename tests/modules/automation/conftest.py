"""Fixtures of the automation tests (see world.py)."""

from tests.modules.automation.world import auto, helpdesk

__all__ = ["auto", "helpdesk"]
