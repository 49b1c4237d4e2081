"""Server-rendered web pages of GOTRS that are not generated from YAML modules (the start page, for now)."""
