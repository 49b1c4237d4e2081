"""How lambda results render: data escaped, HTML sanitized by nh3, chips from objects, failures as markers."""

from __future__ import annotations

import pytest

from goatkit.lambdas.render import TONES, cell_html, json_value, sanitize
from goatkit.lambdas.sandbox import Failure, Outcome


def html(value: object, flag: bool | None = None) -> str:
    return str(cell_html(Outcome(value=value), html=flag))


def test_plain_values_are_escaped_text() -> None:
    assert html("Tom & Jerry") == "Tom &amp; Jerry"
    assert html("a < b") == "a &lt; b"
    assert html(42) == "42"
    assert html(2.0) == "2"
    assert html(2.5) == "2.5"
    assert "—" in html(None) and "—" in html("")
    assert "Yes" in html(True) and "No" in html(False)


@pytest.mark.parametrize(
    ("returned", "shown"),
    [
        ("<b>bold</b> text", "<b>bold</b> text"),
        ('<script>alert(1)</script><b onclick="x()">hi</b>', "<b>hi</b>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="/admin/queues">q</a>', '<a href="/admin/queues" rel="noopener noreferrer">q</a>'),
        ('<img src="https://evil.example/x.png">', ""),
        (
            '<span style="position:fixed" class="fixed inset-0 bg-red-100 px-2">x</span>',
            '<span class="bg-red-100 px-2">x</span>',
        ),
        ("<div><p>block</p></div>", "block"),
    ],
)
def test_go_gotrs_html_strings_render_sanitized(returned: str, shown: str) -> None:
    assert html(returned) == shown  # no `html` key: markup is detected, then sanitized
    assert html(returned, True) == shown


def test_html_false_always_shows_the_text() -> None:
    assert html("<b>bold</b>", False) == "&lt;b&gt;bold&lt;/b&gt;"


def test_objects_render_as_chips_links_and_dots() -> None:
    chip = html({"text": "VIP", "tone": "amber"})
    assert chip.startswith('<span class="inline-flex') and TONES["amber"] in chip and chip.endswith(">VIP</span>")
    linked = html({"text": "Open", "href": "/admin/queues/3"})
    assert linked == '<a href="/admin/queues/3" class="gk-link" rel="noopener noreferrer">Open</a>'
    assert "href" not in html({"text": "x", "href": "javascript:alert(1)"})
    assert "href" not in html({"text": "x", "href": "//evil.example/"})
    dotted = html({"text": "Red", "color": "#ff0000"})
    assert 'fill="#ff0000"' in dotted
    assert "<script>" not in html({"text": "<script>x</script>", "tone": "red"})
    assert html({"text": "a", "title": 'say "hi"'}) == '<span title="say &#34;hi&#34;">a</span>'
    assert html(["a", {"text": "b", "tone": "green"}]).startswith("a <span")


def test_failures_show_a_marker_naming_the_cause() -> None:
    marker = str(cell_html(Outcome(failure=Failure("timeout", "Timed out after 50 ms."))))
    assert 'data-lambda-error="timeout"' in marker
    assert 'title="Timed out after 50 ms."' in marker
    assert "timed out" in marker


def test_json_values_match_what_the_cell_shows() -> None:
    assert json_value(Outcome(value="<b>x</b><script>y</script>")) == "<b>x</b>"
    assert json_value(Outcome(value="<b>x</b>"), html=False) == "<b>x</b>"  # text: the client escapes it
    assert json_value(Outcome(value={"text": "VIP"})) == {"text": "VIP"}
    failed = json_value(Outcome(failure=Failure("error", "TypeError: x is undefined")))
    assert failed == {"error": {"kind": "error", "message": "TypeError: x is undefined"}}


def test_sanitize_keeps_only_badge_classes() -> None:
    assert (
        sanitize('<span class="rounded-full text-xs absolute">x</span>')
        == '<span class="rounded-full text-xs">x</span>'
    )
