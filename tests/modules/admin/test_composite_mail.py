"""Mail accounts (password stored as given, never sent back; dispatching) and postmaster filters (a record made of
every row sharing a name; match/set rules replaced on save)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from goatkit.engine import service
from goatkit.engine.extension import modules
from goatkit.engine.forms import FormInvalid
from modules.db.schema import metadata
from tests.modules.admin import AdminApi
from tests.modules.admin.composite import Statements, capi, composite
from tests.modules.auth import Helpdesk

__all__ = ["capi", "composite"]  # fixtures
ACCOUNT, FILTER = metadata.tables["mail_account"], metadata.tables["postmaster_filter"]
ACCOUNT_BODY = {"login": "helpdesk", "password": "pop-Secret-1", "host": "mail.example.com", "account_type": "IMAPS"}


def stored_account(desk: Helpdesk, pk: int) -> Any:
    with desk.engine.connect() as conn:
        return conn.execute(select(ACCOUNT).where(ACCOUNT.c.id == pk)).mappings().one()


def test_the_mail_password_is_stored_as_given_and_never_sent_back(capi: AdminApi, composite: Helpdesk) -> None:
    created = capi.post("/mail_account", json=ACCOUNT_BODY | {"queue_id": 2})
    assert created.status_code == 201, created.get_json()
    row = created.get_json()
    assert stored_account(composite, row["id"])["pw"] == "pop-Secret-1"  # the fetcher needs it as typed
    assert "pw" not in row and "password" not in row
    assert (row["dispatching_by"], row["queue_id"], row["imap_folder"]) == ("Queue", 2, "INBOX")
    listed = capi.get("/mail_account").get_data(as_text=True)
    shown = capi.get(f"/mail_account/{row['id']}").get_data(as_text=True)
    assert "pop-Secret-1" not in listed and "pop-Secret-1" not in shown and '"pw"' not in listed

    kept = capi.patch(f"/mail_account/{row['id']}", json={"password": "", "host": "imap.example.com"})
    assert kept.status_code == 200, kept.get_json()
    assert stored_account(composite, row["id"])["pw"] == "pop-Secret-1"  # empty keeps it
    capi.patch(f"/mail_account/{row['id']}", json={"password": "new-Secret-2"})
    assert stored_account(composite, row["id"])["pw"] == "new-Secret-2"


def test_dispatching_by_from_stores_queue_zero_and_pop3_has_no_folder(capi: AdminApi, composite: Helpdesk) -> None:
    body = ACCOUNT_BODY | {"dispatching_by": "From", "account_type": "POP3S", "imap_folder": "Ignored"}
    row = capi.post("/mail_account", json=body).get_json()
    assert (row["queue_id"], row["dispatching_by"], row["imap_folder"]) == (0, "From", "")
    moved = capi.patch(f"/mail_account/{row['id']}", json={"dispatching_by": "Queue"})
    assert moved.status_code == 422
    assert moved.get_json()["errors"] == {"queue_id": ["Choose the queue new mail goes to (or dispatch by From)."]}
    no_password = capi.post("/mail_account", json={k: v for k, v in ACCOUNT_BODY.items() if k != "password"})
    assert no_password.get_json()["errors"] == {
        "password": ["Password is required: the mail fetcher signs in with it."],
        "queue_id": ["Choose the queue new mail goes to (or dispatch by From)."],
    }
    bad_queue = capi.post("/mail_account", json=ACCOUNT_BODY | {"queue_id": 999})
    assert bad_queue.get_json()["errors"] == {"queue_id": ["Queue 999 does not exist or is not valid."]}


def make_filter(capi: AdminApi, name: str = "Spam", **extra: Any) -> Any:
    body = {
        "f_name": name,
        "f_stop": True,
        "matches": [
            {"header": "X-Spam-Flag", "value": "^YES$"},
            {"header": "From", "value": "@ham\\.example$", "not": True},
        ],
        "sets": [{"header": "X-OTRS-Queue", "value": "Junk"}],
    }
    return capi.post("/postmaster_filter", json=body | extra)


def filter_rows(desk: Helpdesk) -> list[tuple[Any, ...]]:
    cols = (FILTER.c.f_name, FILTER.c.f_stop, FILTER.c.f_type, FILTER.c.f_key, FILTER.c.f_value, FILTER.c.f_not)
    with desk.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(*cols)))


def test_a_filter_is_all_the_rows_of_its_name(capi: AdminApi, composite: Helpdesk) -> None:
    created = make_filter(capi)
    assert created.status_code == 201, created.get_json()
    assert created.headers["Location"].endswith("/postmaster_filter/Spam")
    assert filter_rows(composite) == [
        ("Spam", 1, "Match", "From", "@ham\\.example$", 1),
        ("Spam", 1, "Match", "X-Spam-Flag", "^YES$", 0),
        ("Spam", 1, "Set", "X-OTRS-Queue", "Junk", 0),
    ]
    make_filter(capi, "Other", sets=[{"header": "X-OTRS-Priority", "value": "1 very low"}])
    listed = capi.get("/postmaster_filter").get_json()
    assert [row["f_name"] for row in listed["data"]] == ["Other", "Spam"]  # one row per filter, not per rule
    assert listed["total"] == 2
    assert listed["data"][1]["sets"] == [{"header": "X-OTRS-Queue", "value": "Junk"}]

    change = {"f_name": "Junk", "f_stop": False, "sets": [{"header": "X-OTRS-Ignore", "value": "yes"}]}
    renamed = capi.patch("/postmaster_filter/Spam", json=change)
    assert renamed.status_code == 200, renamed.get_json()
    assert [r for r in filter_rows(composite) if r[0] != "Other"] == [
        ("Junk", 0, "Match", "From", "@ham\\.example$", 1),
        ("Junk", 0, "Match", "X-Spam-Flag", "^YES$", 0),
        ("Junk", 0, "Set", "X-OTRS-Ignore", "yes", 0),
    ]
    assert capi.delete("/postmaster_filter/Junk").status_code == 204
    assert {r[0] for r in filter_rows(composite)} == {"Other"}
    assert make_filter(capi, "Other").get_json()["errors"] == {"f_name": ["Already used by another Postmaster filter."]}


def test_filter_rules_are_checked(capi: AdminApi) -> None:
    cases = {
        "matches": [
            ([], "A filter needs at least one match rule."),
            ([{"header": "Sub ject", "value": "x"}],
             "Match rule 1 (Sub ject): the header name must be printable ASCII without spaces or colons."),
            ([{"header": "Subject", "value": "(unclosed"}],
             "Match rule 1 (Subject): not a valid regular expression "
             "(missing ), unterminated subpattern at position 0)."),
            ([{"header": "Subject", "value": "foo\\z"}],
             "Match rule 1 (Subject): the Perl escape \\z is not supported."),
        ],
        "sets": [([{"header": "Subject", "value": "x"}],
                  "Set rule 1 (Subject): only X-OTRS-* headers can be set (they are what the postmaster reads).")],
    }  # fmt: skip
    for kind, examples in cases.items():
        for rules, expected in examples:
            answer = make_filter(capi, "Checked", **{kind: rules})
            assert answer.status_code == 422, answer.get_json()
            assert answer.get_json()["errors"] == {kind: [expected]}
    email = make_filter(capi, "Address", matches=[{"header": "From", "value": "EMAILADDRESS:a@b.example"}])
    assert email.status_code == 201  # compared as an address by OTRS, not read as a regex


def test_a_filter_page_costs_one_rules_query(capi: AdminApi, composite: Helpdesk) -> None:
    for index in range(6):
        make_filter(capi, f"F{index}")
    with Statements(composite.engine) as statements:
        body = capi.get("/postmaster_filter?page_size=4").get_json()
    assert [row["f_name"] for row in body["data"]] == ["F0", "F1", "F2", "F3"]
    assert all(len(row["matches"]) == 2 for row in body["data"])
    assert sum("FROM postmaster_filter" in s for s in statements) == 3  # page, count, the rules of the page
    following = capi.get(f"/postmaster_filter?page_size=4&cursor={body['page']['next_cursor']}").get_json()
    assert [row["f_name"] for row in following["data"]] == ["F4", "F5"]


def test_the_filter_form_rows_are_parsed_from_a_multidict(composite: Helpdesk) -> None:
    form = MultiDict(
        [("f_name", "Form"), ("match_header", "Subject"), ("match_not", "1"), ("match_value", "^\\[ad\\]"),
         ("match_header", ""), ("match_not", "0"), ("match_value", ""),
         ("set_header", "X-OTRS-Queue"), ("set_value", "Junk"), ("set_header", ""), ("set_value", "")]
    )  # fmt: skip
    with composite.app.test_request_context(), composite.engine.begin() as conn:
        module = modules(composite.app).snapshot()["postmaster_filter"]
        assert service.create(conn, module, form, source="form", user_id=1) == "Form"
        bad = MultiDict([("f_name", "Bad"), ("set_header", "X-OTRS-Queue"), ("set_value", "Junk")])
        try:
            service.create(conn, module, bad, source="form", user_id=1)
        except FormInvalid as invalid:
            assert invalid.errors == {"matches": ["A filter needs at least one match rule."]}
        else:
            raise AssertionError("a filter without a match rule was accepted")
    assert filter_rows(composite) == [
        ("Form", 0, "Match", "Subject", "^\\[ad\\]", 1),
        ("Form", 0, "Set", "X-OTRS-Queue", "Junk", 0),
    ]


def test_a_mail_account_from_the_form(composite: Helpdesk) -> None:
    form = MultiDict(
        [("login", "l"), ("password", "form-Secret"), ("host", "h"), ("account_type", "IMAP"), ("queue_id", "3"),
         ("dispatching_by", "Queue"), ("imap_folder", ""), ("valid_id", "1")]
    )  # fmt: skip
    with composite.app.test_request_context(), composite.engine.begin() as conn:
        module = modules(composite.app).snapshot()["mail_account"]
        pk = service.create(conn, module, form, source="form", user_id=1)
    stored = stored_account(composite, pk)
    assert (stored["pw"], stored["queue_id"], stored["imap_folder"], stored["trusted"]) == (
        "form-Secret",
        3,
        "INBOX",
        0,
    )
