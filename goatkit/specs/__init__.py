"""Typed models of the YAML specs GoatKit reads: modules, route groups, themes.

The models are the contract: every key a file may use is declared here, unknown keys are refused with a suggestion,
and ``gotrs check`` reports each error with file, line and key.
"""

from goatkit.specs.base import SpecModel
from goatkit.specs.module import ModuleSpec
from goatkit.specs.routes import RouteGroupSpec
from goatkit.specs.theme import ThemeSpec

__all__ = ["ModuleSpec", "RouteGroupSpec", "SpecModel", "ThemeSpec"]
