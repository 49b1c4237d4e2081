"""``file`` and ``files`` fields (goatkit/engine/uploads.py): uploads by form and JSON, checks, download, history."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, Text, select

from goatkit.engine import uploads
from goatkit.engine.extension import modules
from goatkit.engine.history import history_of
from tests.goatkit.engine.test_views import JSON, Browser
from tests.modules.auth import AGENT, AGENT_PW, Helpdesk, make_helpdesk

NOTE = """\
module: {name: note, singular: Note, plural: Notes, table: gk_note}
fields:
  - {name: id, type: int, show_in_form: false, show_in_list: true}
  - {name: title, type: string, required: true, show_in_list: true}
  - {name: scan, type: file, label: Scan, show_in_list: true}
  - {name: cover, type: file, label: Cover, accept: ".png, image/jpeg", max: 64}
  - {name: papers, type: files, label: Papers, max_length: 2, show_in_list: true}
"""
tables = MetaData()
NOTES = Table(
    "gk_note",
    tables,
    Column("id", Integer, primary_key=True),
    Column("title", String(100), nullable=False),
    Column("scan", LargeBinary),
    Column("cover", String(250)),
    Column("papers", Text),
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
PDF = b"%PDF-1.4 test\n"


def b64(name: str, data: bytes) -> dict[str, str]:
    return {"name": name, "content_base64": base64.b64encode(data).decode()}


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[Helpdesk]:
    folder = tmp_path / "modules"
    folder.mkdir()
    (folder / "note.yaml").write_text(NOTE)
    made = make_helpdesk(db_url, tmp_path / "var", modules_path=str(folder), modules_builtin=False)
    tables.create_all(made.engine)
    modules(made.app).registry.load()
    yield made
    modules(made.app).stop()
    made.close()


@pytest.fixture
def admin(desk: Helpdesk, tmp_path: Path) -> Browser:
    return Browser(desk, tmp_path / "modules")


def stored(desk: Helpdesk, pk: int) -> Any:
    with desk.engine.connect() as conn:
        return conn.execute(select(NOTES).where(NOTES.c.id == pk)).mappings().one()


def create_json(admin: Browser, **values: Any) -> Any:
    return admin.send(
        "post", "/admin/modules/note", {"title": "T", **values}, **JSON, **{"Content-Type": "application/json"}
    )


def test_upload_by_form_stores_bytes_and_files_and_downloads_them(admin: Browser, desk: Helpdesk) -> None:
    page = admin.html("/admin/modules/note/new")
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" id="f-cover" name="cover"' in page and 'accept=".png, image/jpeg"' in page
    assert 'name="papers"' in page and " multiple" in page
    data = {
        "title": "Form",
        "scan": (io.BytesIO(PDF), "scan.pdf"),
        "cover": (io.BytesIO(PNG), "../../etc/passwd.png"),
        "papers": [(io.BytesIO(b"one"), "a.txt"), (io.BytesIO(b"two,2\n"), "b.csv")],
    }
    response = admin.send("post", "/admin/modules/note", data)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:800]
    row = stored(desk, 1)
    assert bytes(row["scan"]) == PDF
    assert row["cover"].startswith("note/") and row["cover"].endswith("/passwd.png") and ".." not in row["cover"]
    assert (uploads_root(desk) / row["cover"]).read_bytes() == PNG
    papers = json.loads(row["papers"])
    assert [p.rsplit("/", 1)[-1] for p in papers] == ["a.txt", "b.csv"]

    scan = admin.get("/admin/modules/note/1/files/scan")
    assert (scan.status_code, scan.data, scan.content_type) == (200, PDF, "application/pdf")
    assert scan.headers["Content-Disposition"] == "attachment; filename=scan.pdf"
    assert scan.headers["X-Content-Type-Options"] == "nosniff"
    cover = admin.get("/admin/modules/note/1/files/cover")
    assert (cover.data, cover.content_type) == (PNG, "image/png")
    assert cover.headers["Content-Disposition"] == "attachment; filename=passwd.png"
    second = admin.get("/admin/modules/note/1/files/papers/1")
    assert (second.data, second.content_type) == (b"two,2\n", "text/csv; charset=utf-8")
    assert second.headers["Content-Disposition"] == "attachment; filename=b.csv"


def uploads_root(desk: Helpdesk) -> Path:
    with desk.app.app_context():
        return uploads.root()


def test_json_upload_answers_names_sizes_and_urls_never_bytes(admin: Browser, desk: Helpdesk) -> None:
    response = create_json(admin, scan=b64("s.pdf", PDF), papers=[b64("x.txt", b"hello")])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["scan"] == {"name": "scan.pdf", "size": len(PDF), "url": "/admin/modules/note/1/files/scan"}
    assert body["papers"] == [{"name": "x.txt", "size": 5, "url": "/admin/modules/note/1/files/papers/0"}]
    assert body["cover"] is None
    token = {"Authorization": "Bearer " + desk.token()["access_token"]}
    api = admin.client.get("/api/v1/modules/note/1", headers=token).get_json()
    assert api["papers"] == body["papers"] and "content_base64" not in json.dumps(api)
    download = admin.get("/admin/modules/note/1/files/papers/0")
    assert (download.status_code, download.data, download.content_type) == (200, b"hello", "text/plain; charset=utf-8")


def test_html_and_svg_are_served_as_opaque_attachments(admin: Browser) -> None:
    create_json(admin, papers=[b64("page.html", b"<!DOCTYPE html><script>alert(1)</script>"), b64("i.svg", b"<svg/>")])
    for index in (0, 1):
        response = admin.get(f"/admin/modules/note/1/files/papers/{index}")
        assert response.content_type == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"cover": b64("c.gif", b"GIF89a....")},
            "cover",
            "Cover: 'c.gif' (image/gif) is not an accepted type; accepted: .png, image/jpeg.",
        ),
        (
            {"cover": b64("c.png", b"<html><script>x</script>")},
            "cover",
            "Cover: 'c.png' is not what its name says (its content is text/html).",
        ),
        (
            {"cover": b64("big.png", PNG + b"\x00" * 64)},
            "cover",
            "Cover: 'big.png' is larger than 64 bytes, the limit.",
        ),
        ({"papers": [b64(f"{n}.txt", b"x") for n in "abc"]}, "papers", "Papers takes at most 2 files, not 3."),
        ({"scan": [b64("a.pdf", PDF), b64("b.pdf", PDF)]}, "scan", "Scan takes one file, not 2."),
        (
            {"scan": {"name": "a.pdf", "content_base64": "%%%"}},
            "scan",
            "Scan: the content of 'a.pdf' is not valid base64.",
        ),
        ({"scan": "a.pdf"}, "scan", 'Scan must be a file: {"name": "...", "content_base64": "..."}.'),
    ],
)
def test_bad_uploads_are_a_422_naming_the_field(
    admin: Browser, values: dict[str, Any], field: str, message: str
) -> None:
    response = create_json(admin, **values)
    assert (response.status_code, response.get_json()["errors"]) == (422, {field: [message]})


def test_size_limit_defaults_to_the_platform_setting(tmp_path: Path, db_url: str) -> None:
    folder = tmp_path / "modules"
    folder.mkdir()
    (folder / "note.yaml").write_text(NOTE)
    desk = make_helpdesk(db_url, tmp_path / "var", modules_path=str(folder), modules_builtin=False, upload_max_bytes=10)
    try:
        tables.create_all(desk.engine)
        modules(desk.app).registry.load()
        admin = Browser(desk, folder)
        response = create_json(admin, scan=b64("s.txt", b"x" * 11))
        assert response.get_json()["errors"] == {"scan": ["Scan: 's.txt' is larger than 10 bytes, the limit."]}
        assert create_json(admin, scan=b64("s.txt", b"x" * 10)).status_code == 201
    finally:
        modules(desk.app).stop()
        desk.close()


def test_form_errors_show_beside_the_file_field(admin: Browser) -> None:
    data = {"title": "T", "cover": (io.BytesIO(b"plain"), "notes.txt")}
    response = admin.send("post", "/admin/modules/note", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Cover: &#39;notes.txt&#39; (text/plain) is not an accepted type; accepted: .png, image/jpeg." in page


def test_empty_upload_on_edit_keeps_files_and_remove_clears_them(admin: Browser, desk: Helpdesk) -> None:
    create_json(admin, cover=b64("c.png", PNG), papers=[b64("p.txt", b"p")])
    before = stored(desk, 1)
    edit = admin.html("/admin/modules/note/1/edit")
    assert "Stored: c.png." in edit and 'name="cover-remove"' in edit and 'name="papers-remove"' in edit
    empty = {"title": "Renamed", "cover": (io.BytesIO(b""), ""), "papers": (io.BytesIO(b""), "")}
    response = admin.send("post", "/admin/modules/note/1", empty)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:800]
    after = stored(desk, 1)
    assert (after["title"], after["cover"], after["papers"]) == ("Renamed", before["cover"], before["papers"])

    root = uploads_root(desk)
    response = admin.send("post", "/admin/modules/note/1", {"title": "Renamed", "cover-remove": "1"})
    assert response.status_code in (302, 303)
    cleared = stored(desk, 1)
    assert cleared["cover"] is None and cleared["papers"] == before["papers"]
    assert not (root / before["cover"]).exists()  # removed once the change committed
    missing = admin.get("/admin/modules/note/1/files/cover", **JSON)
    assert (missing.status_code, missing.get_json()["error"]["message"]) == (404, "Cover of Note 1 has no file.")


def test_a_refused_write_leaves_no_file_behind(admin: Browser, desk: Helpdesk) -> None:
    response = create_json(admin, title=None, papers=[b64("p.txt", b"p")])
    assert response.status_code == 422
    root = uploads_root(desk)
    assert not (root / "note").exists() or not any((root / "note").iterdir())


def test_history_names_the_files_never_their_bytes(admin: Browser, desk: Helpdesk) -> None:
    create_json(admin, scan=b64("s.pdf", PDF), papers=[b64("a.txt", b"a"), b64("b.txt", b"b")])
    admin.send("put", "/admin/modules/note/1", {"scan": b64("t.pdf", PDF + b"2")}, **JSON,
               **{"Content-Type": "application/json"})  # fmt: skip
    with desk.app.app_context(), desk.engine.connect() as conn:
        module = modules(desk.app).snapshot()["note"]
        update, create = history_of(conn, module, 1)
    assert create.changes["scan"] == [None, "s.pdf"] and create.changes["papers"] == [None, "a.txt, b.txt"]
    assert update.changes == {"scan": ["(a file of 14 bytes)", "t.pdf"]}


def test_list_and_detail_link_each_file(admin: Browser) -> None:
    create_json(admin, scan=b64("s.pdf", PDF), papers=[b64("a <b>.txt", b"a"), b64("c.txt", b"c")])
    listing = admin.html("/admin/modules/note")
    assert '<a href="/admin/modules/note/1/files/scan" class="gk-link" download>scan.pdf</a>' in listing
    assert '<a href="/admin/modules/note/1/files/papers/0" class="gk-link" download>a _b_.txt</a>' in listing
    detail = admin.html("/admin/modules/note/1")
    assert '<a href="/admin/modules/note/1/files/papers/1" class="gk-link" download>c.txt</a>' in detail


def test_download_needs_view_permission_and_names_what_is_missing(admin: Browser, desk: Helpdesk) -> None:
    create_json(admin, papers=[b64("a.txt", b"a")])
    agent = Browser(desk, admin.modules_dir, AGENT, AGENT_PW)
    refused = agent.get("/admin/modules/note/1/files/papers/0", **JSON)
    assert (refused.status_code, refused.get_json()["error"]["message"]) == (
        403,
        "You need the 'rw' permission on group 'admin' to view note records.",
    )
    for path, message in [
        ("/admin/modules/note/1/files/title", "Notes have no file field 'title'."),
        ("/admin/modules/note/1/files/papers/1", "Papers of Note 1 has no file 1; it has 1."),
        ("/admin/modules/note/9/files/papers", "Note 9 does not exist."),
    ]:
        response = admin.get(path, **JSON)
        assert (response.status_code, response.get_json()["error"]["message"]) == (404, message)


def test_names_are_made_safe() -> None:
    assert uploads.safe_name("../../etc/passwd") == "passwd"
    assert uploads.safe_name("C:\\Temp\\my <report>.pdf") == "my _report_.pdf"
    assert uploads.safe_name("..") == "file"
    long = uploads.safe_name("x" * 300 + ".pdf")
    assert len(long) == uploads.MAX_NAME and long.endswith(".pdf")
