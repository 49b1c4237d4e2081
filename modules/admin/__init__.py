"""The OTRS admin entities: YAML specs in ``modules/*.yaml``, and here the Python companions of those that need
behaviour the engine cannot express in YAML (hook classes registered by name, see ``goatkit/engine/hooks.py``).
Each companion is listed in ``COMPANION_MODULES`` of ``gotrs_app.py``.
"""
