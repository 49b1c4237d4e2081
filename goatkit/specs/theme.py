"""Theme files (``themes/*.yaml``): a name and design tokens that become CSS custom properties."""

from __future__ import annotations

from pydantic import Field

from goatkit.specs.base import SpecModel


class ThemeSpec(SpecModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    label: str = ""
    description: str = ""
    dark: bool = False
    tokens: dict[str, str] = {}
    dark_tokens: dict[str, str] = {}
