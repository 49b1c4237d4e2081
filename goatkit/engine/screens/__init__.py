"""The HTML side of the module engine, used by ``engine/views.py``: what a screen shows, kept out of the views.

* ``screen.py``    a module as one request sees it (base URL, allowed actions, record ids)
* ``listing.py``   list columns, filter controls, sort and page links; ``render_list_page`` for benchmarks
* ``cells.py``     how a value is shown (lookups, chips, colours, booleans, dates), in lists and details alike
* ``widgets.py``   one form widget per editable field, grouped by ``ui.form_sections``
* ``respond.py``   page, htmx fragment or JSON for the same view; errors likewise
"""
