"""The hooks' partials render inside the engine's HTML form and detail pages of the composite modules."""

from __future__ import annotations

import base64

from tests.modules.admin import AdminApi
from tests.modules.admin.composite import capi, composite
from tests.modules.auth import ADMIN, ADMIN_PW, Helpdesk

__all__ = ["capi", "composite"]  # fixtures
MARKERS = {
    "dynamic_field": 'name="config_pv_key"',
    "notification_event": 'name="item_Events"',
    "postmaster_filter": 'name="match_header"',
    "mail_account": "The password is stored as typed",
    "standard_attachment": 'name="upload" type="file"',
}


def test_forms_and_detail_pages_show_the_hooks_controls(capi: AdminApi, composite: Helpdesk) -> None:
    attachment = {"filename": "a.txt", "content_type": "text/plain", "content": base64.b64encode(b"hi").decode()}
    pk = capi.post("/standard_attachment", json={"name": "A", "file": attachment}).get_json()["id"]
    body = {"name": "Tier", "label": "Tier", "field_order": 1, "field_type": "Text", "object_type": "Ticket"}
    field = capi.post("/dynamic_field", json=body).get_json()["id"]
    browser = composite.client()
    assert composite.browser_login(browser, ADMIN, ADMIN_PW).status_code in (302, 303)
    for module, marker in MARKERS.items():
        page = browser.get(f"/admin/modules/{module}/new", headers={"Accept": "text/html"})
        assert page.status_code == 200, (module, page.status_code)
        assert marker in page.get_data(as_text=True), module
    detail = browser.get(f"/admin/modules/standard_attachment/{pk}", headers={"Accept": "text/html"})
    assert f'href="/admin/attachment-files/{pk}"' in detail.get_data(as_text=True)
    shown = browser.get(f"/admin/modules/dynamic_field/{field}", headers={"Accept": "text/html"})
    assert "RegExList: []" in shown.get_data(as_text=True)
