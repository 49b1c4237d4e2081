"""The module engine: one generic handler serves every admin entity from its YAML spec (in progress).

Layers, each in its own file, each usable and tested alone:

* ``model.py``     what the engine knows about a loaded module: its spec, its table and its resolved fields.
* ``registry.py``  loads specs from the module directories, resolves them against the database, keeps the last
                   good version of each module, swaps the whole registry atomically, reloads on file changes.
* ``query.py``     list/detail/write queries built from a resolved module: allow-listed sort, search and filters,
                   keyset paging, estimated counts, batched lookups; ``cursor.py`` signs page cursors,
                   ``conditions.py`` parses the safe ``lookup_condition`` grammar.
* ``forms.py``     conversion and validation of submitted values, generated from the spec (marshmallow);
                   ``fieldtypes.py`` holds one marshmallow field per value family.
* ``scaffold.py``  `gotrs modules scaffold <table>`: a starter spec for an existing table.
* ``extension.py`` the registry of a Flask app: loaded on first use (not at start-up), watched when
                   ``modules_watch`` is on, with the list-cursor key derived from the app secret.
* ``api.py``       the JSON API of every module, ``/api/v1/modules/<module>[/<id>]`` (``routes/modules.yaml``).
"""
