"""GoatKit: the YAML-driven platform under GOTRS.

GoatKit knows about settings, databases, YAML specs, routes, lambdas, themes and the web shell.  It never imports the
application (``modules``) and never names its domain objects; tests check both.
"""

__version__ = "0.1.0"
