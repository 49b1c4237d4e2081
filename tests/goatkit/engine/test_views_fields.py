"""The engine's screens, field by field: every field type's widget and round trip, filters with their own lookup
table, and ``ui.actions`` links (the rest of the screens: ``test_views.py``, whose fixtures these share)."""

# ruff: noqa: F811  (pytest fixtures imported from test_views.py are parameters here)
from __future__ import annotations

import re
from typing import Any

from goatkit.engine.extension import modules
from tests.goatkit.engine.test_views import (  # noqa: F401  (fixtures: admin, desk, modules_dir)
    HX,
    JSON,
    PRIORITY,
    Browser,
    admin,
    desk,
    error_of,
    modules_dir,
)
from tests.modules.auth import Helpdesk


def within_widget(html: str, name: str) -> str:
    match = re.search(rf'<div class="[^"]*" data-widget="{name}">(.*?)</div>\n', html, re.S)
    assert match, f"no widget {name}"
    return match.group(1)


WIDGETS = """\
module: {name: gadget, singular: Gadget, table: gk_gadget}
fields:
  - {name: id, type: int, show_in_form: false, show_in_list: true, sortable: true}
  - {name: title, type: string, required: true, max_length: 40, placeholder: "A short name", help: "Shown in lists"}
  - {name: mail, type: email}
  - {name: site, type: url}
  - {name: phone, type: phone}
  - {name: fax, type: tel}
  - {name: shade, type: color}
  - {name: secret, type: password}
  - {name: amount, type: number}
  - {name: count, type: int, min: 0, max: 99}
  - {name: price, type: decimal}
  - {name: ratio, type: float}
  - {name: level, type: range, min: 0, max: 10, step: 2}
  - {name: day, type: date}
  - {name: moment, type: datetime}
  - {name: clock, type: time}
  - {name: line, type: text}
  - {name: body, type: textarea, rows: 6}
  - {name: memo, type: notes}
  - {name: size, type: select, options: [{value: s, label: Small}, {value: l, label: Large}]}
  - {name: side, type: radio, options: [{value: left, label: Left}, {value: right, label: Right}]}
  - {name: tags, type: multiselect,
     options: [{value: a, label: Alpha}, {value: b, label: Beta}, {value: c, label: Gamma}]}
  - {name: ok, type: checkbox}
  - {name: flag, type: bool}
  - {name: agreed, type: boolean}
  - {name: doc, type: file}
  - {name: docs, type: files}
  - {name: valid_id, type: int, default: 1, lookup_table: valid, lookup_key: id, lookup_display: name}
ui:
  form_sections:
    - {title: Basics, fields: [title, mail, site], description: What everyone sees}
    - {title: Extras, fields: [memo], collapsed: true}
"""


def _gadget_table(engine: Any) -> None:
    from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, MetaData, Numeric, String, Table, Text, Time

    text = {n: String(200) for n in ("mail", "site", "phone", "fax", "shade", "secret", "line", "size", "side", "tags")}
    Table(
        "gk_gadget",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("title", String(40), nullable=False),
        *(Column(name, kind) for name, kind in text.items()),
        Column("amount", Numeric(10, 2)),
        Column("count", Integer),
        Column("price", Numeric(10, 2)),
        Column("ratio", Float),
        Column("level", Integer),
        Column("day", Date),
        Column("moment", DateTime),
        Column("clock", Time),
        Column("body", Text),
        Column("memo", Text),
        Column("ok", Integer),
        Column("flag", Boolean),
        Column("agreed", Integer),
        Column("doc", String(200)),
        Column("docs", String(200)),
        Column("valid_id", Integer, nullable=False),
    ).create(engine)


def test_every_field_type_gets_its_widget_and_round_trips(admin: Browser, desk: Helpdesk) -> None:
    _gadget_table(desk.engine)
    (admin.modules_dir / "gadget.yaml").write_text(WIDGETS)
    modules(desk.app).registry.load()
    form = admin.html("/admin/modules/gadget/new")
    expected = {
        "title": 'type="text" id="f-title" name="title" value="" class="gk-input mt-1" maxlength="40"',
        "mail": 'type="email"',
        "site": 'type="url"',
        "phone": 'type="tel"',
        "fax": 'type="tel"',
        "shade": 'type="color"',
        "secret": 'type="password" id="f-secret" name="secret" value="" class="gk-input mt-1" maxlength="200" '
        'autocomplete="new-password"',
        "amount": 'type="number" id="f-amount" name="amount" value="" class="gk-input mt-1" step="any"',
        "count": 'min="0" max="99" step="1"',
        "price": 'step="any"',
        "ratio": 'type="number"',
        "level": 'type="range" id="f-level" name="level" value="" class="gk-input mt-1" min="0" max="10" step="2"',
        "day": 'type="date"',
        "moment": 'type="datetime-local"',
        "clock": 'type="time"',
        "line": 'type="text"',
        "body": '<textarea id="f-body" name="body" class="gk-input mt-1" rows="6"',
        "memo": "<textarea",
        "size": '<option value="s" >Small</option>',
        "side": '<input type="radio" name="side" value="left"',
        "tags": 'name="tags" class="gk-input mt-1" multiple',
        "ok": '<input type="checkbox" id="f-ok" name="ok" value="1"',
        "flag": 'type="checkbox"',
        "agreed": 'type="checkbox"',
        "doc": '<input type="file" id="f-doc" name="doc" class="gk-input mt-1"',
        "docs": '<input type="file" id="f-docs" name="docs" class="gk-input mt-1" multiple',
        "valid_id": '<option value="1" selected>valid</option>',
    }
    for name, markup in expected.items():
        assert markup in " ".join(within_widget(form, name).split()), name
    assert '<span class="text-red-600 dark:text-red-400" aria-hidden="true"> *</span>' in within_widget(form, "title")
    assert 'placeholder="A short name"' in form and ">Shown in lists</p>" in form
    assert form.index(">Basics</h2>") < form.index('data-widget="title"') < form.index("<summary")
    assert "What everyone sees" in form and form.index("<summary") < form.index('data-widget="memo"')

    values = {"title": "Gizmo", "mail": "a@example.com", "site": "https://example.com", "phone": "+49 30 1234",
              "fax": "030 99", "shade": "#aabbcc", "secret": "s3cret-Pass", "amount": "12.50", "count": "7",
              "price": "9.99", "ratio": "0.5", "level": "4", "day": "2026-03-04", "moment": "2026-03-04T09:30",
              "clock": "08:15", "line": "one line", "body": "two\r\nlines", "memo": "note", "size": "l",
              "side": "right", "tags": ["a", "c"], "ok": "1", "flag": "1", "valid_id": "1"}  # fmt: skip
    created = admin.client.post("/admin/modules/gadget", data={"csrf_token": admin.csrf, **values})
    assert created.status_code == 303, created.get_data(as_text=True)
    edit = admin.html(created.headers["Location"] + "/edit")
    for name, markup in {
        "moment": 'value="2026-03-04T09:30"',
        "clock": 'value="08:15"',
        "day": 'value="2026-03-04"',
        "amount": 'value="12.50"',
        "tags": '<option value="c" selected>Gamma</option>',
        "side": 'value="right" class="gk-check rounded-full" checked',
        "ok": "checked",
        "flag": "checked",
        "secret": 'value=""',
    }.items():
        assert markup in " ".join(within_widget(edit, name).split()), name
    assert 'name="agreed" value="1" class="gk-check" >' in " ".join(within_widget(edit, "agreed").split())  # unchecked
    detail = admin.html(created.headers["Location"])
    assert "s3cret" not in detail and 'data-field="secret"' not in detail
    assert ">Alpha</span> <span" in detail and "2026-03-04 09:30" in detail and ">Yes</span>" in detail


def test_a_filter_with_its_own_lookup_table_offers_that_tables_rows(admin: Browser) -> None:
    """GOTRS filters name a lookup_table for a field that is a plain number in the form (here the priority id)."""
    spec = (
        PRIORITY.replace(
            "{field: id, type: multi_select, label: Ids, options: [{value: 1, label: One}, {value: 2, label: Two}]}",
            "{field: id, type: select, label: By valid, lookup_table: valid, lookup_key: id, lookup_display: name}",
        )
        .replace("name: priority,", "name: ranked,")
        .replace("route_prefix: /admin/priorities, ", "")
    )
    (admin.modules_dir / "ranked.yaml").write_text(spec)
    modules(admin.desk.app).registry.load()
    page = admin.html("/admin/modules/ranked?filter_id=2")
    options = re.findall(
        r'<option value="(\d+)"( selected)?>([^<]+)</option>', page.split('name="filter_id"')[1].split("</select>")[0]
    )
    assert [(value, label) for value, _, label in options] == [
        ("2", "invalid"),
        ("3", "invalid-temporarily"),
        ("1", "valid"),
    ]
    assert [value for value, chosen, _ in options if chosen] == ["2"]
    assert page.count('<tr data-id="') == 1  # the filter itself still filters the records by id


def test_ui_actions_add_row_and_page_links_with_the_key_and_refuse_unsafe_urls(admin: Browser) -> None:
    actions = (
        "ui:\n  actions:\n"
        '    - {label: Tickets, url: "/agent/tickets?priority_id={id}"}\n'
        '    - {label: Guide, url: "https://doc.example.org/priorities", scope: page}\n'
        '    - {label: Evil, url: "javascript:alert(1)"}\n'
        "    - {label: Hidden, url: /x, permission: delete}\n"
    )
    spec = PRIORITY.replace("name: priority,", "name: linked,").replace("route_prefix: /admin/priorities, ", "")
    (admin.modules_dir / "linked.yaml").write_text(
        spec.replace("permissions: [view, create, update, delete]", "permissions: [view]") + actions
    )
    modules(admin.desk.app).registry.load()
    page = admin.html("/admin/modules/linked?sort=id")
    assert '<a href="/agent/tickets?priority_id=1" class="gk-btn-quiet py-1">Tickets</a>' in page
    assert page.count(">Tickets</a>") == page.count('<tr data-id="')
    assert (
        '<a href="https://doc.example.org/priorities" class="gk-btn-quiet" data-testid="page-action">Guide</a>' in page
    )
    assert "javascript:" not in page and ">Evil<" not in page  # not a usable URL: left out
    assert ">Hidden<" not in page  # needs delete, which this module does not offer
