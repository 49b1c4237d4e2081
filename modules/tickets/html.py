"""HTML article bodies: sanitising for display, the plain-text version OTRS stores, and inline images.

Mail and agent editors produce HTML that must never run in an agent's browser.  :func:`sanitize` keeps a strict
allow-list through nh3 (ammonia): formatting, lists, tables, links and images only; no scripts, styles, event
handlers or forms; URLs only ``http``, ``https``, ``mailto`` and relative ones, plus ``data:image/...`` on images
(mail clients embed logos that way, and the CSP allows ``img-src data:``).  ``style`` attributes are dropped: the
page's CSP (``style-src 'self'``) would refuse them anyway, so keeping "safe" properties would buy nothing.

:func:`to_text` is the plain text OTRS keeps in ``article_data_mime.a_body`` (its ``HTMLUtils::ToAscii``: block
elements become line breaks, lists get dashes, quotes ``> ``, links keep their address).

Inline images are ``<img src="cid:logo@example.com">`` pointing at the article attachment whose ``content_id`` is
``<logo@example.com>``; :func:`map_inline_images` rewrites them to the download URL the screen passes in.

Example::

    sanitize('<p onclick="x()">Hi <script>bad()</script></p>')     # '<p>Hi </p>'
    to_text("<p>Hello</p><p>World<br>again</p>")                    # 'Hello\\n\\nWorld\\nagain'
    display(html, attachments, "/agent/tickets/7/articles/{article_id}/attachments/{attachment_id}")
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Protocol
from urllib.parse import quote

import nh3

TAGS = frozenset(
    {"a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div", "dl", "dt", "em"}
    | {"font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre"}
    | {"q", "s", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th"}
    | {"thead", "tr", "tt", "u", "ul"}
)
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign"},
    "table": {"border", "cellpadding", "cellspacing", "width"},
    "font": {"color", "size"},
    "ol": {"start"},
    "blockquote": {"cite"},
}
SCHEMES = frozenset({"http", "https", "mailto", "data"})
_DATA_IMAGE = re.compile(r"data:image/(png|gif|jpeg|jpg|webp);base64,[a-z0-9+/=\s]*$", re.IGNORECASE)
_CID = re.compile(r"""(\bsrc\s*=\s*)(["']?)cid:([^"'\s>]+)\2""", re.IGNORECASE)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if value.strip().lower().startswith("data:"):
        return value if tag == "img" and attribute == "src" and _DATA_IMAGE.match(value.strip()) else None
    return value


def sanitize(html: str) -> str:
    """The allow-listed part of ``html``; scripts and styles go with their content."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags={"script", "style", "title", "head", "template", "noscript"},
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        url_schemes=set(SCHEMES),
        link_rel="noopener noreferrer",
    )


class InlineAttachment(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def article_id(self) -> int: ...
    @property
    def filename(self) -> str: ...
    @property
    def content_id(self) -> str | None: ...


def content_id_key(content_id: str | None) -> str:
    """``<Logo@Example.com>`` and ``cid:logo@example.com`` both give ``logo@example.com``."""
    return (content_id or "").strip().removeprefix("cid:").strip("<>").lower()


def map_inline_images(html: str, attachments: Iterable[InlineAttachment], url_pattern: str) -> str:
    """Point ``cid:`` images at ``url_pattern`` (``{article_id}``, ``{attachment_id}``, ``{filename}``).

    References to no attachment are left as they are; :func:`sanitize` then drops them (``cid`` is not allowed).
    """
    by_cid = {content_id_key(a.content_id): a for a in attachments if a.content_id}

    def replace(match: re.Match[str]) -> str:
        found = by_cid.get(content_id_key(match.group(3)))
        if found is None:
            return match.group(0)
        url = url_pattern.format(article_id=found.article_id, attachment_id=found.id, filename=quote(found.filename))
        return f'{match.group(1)}"{url}"'

    return _CID.sub(replace, html)


def display(html: str, attachments: Iterable[InlineAttachment], url_pattern: str) -> str:
    """What a screen shows: inline images mapped, then sanitised."""
    return sanitize(map_inline_images(html, attachments, url_pattern))


_BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr", "pre", "hr", "dl"})
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})


class _TextParser(HTMLParser):
    """Collects ``[quote depth, text]`` lines; a line's depth is the blockquote depth where its text began."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[list[int | str]] = [[0, ""]]
        self.skip = 0
        self.pre = 0
        self.quote = 0
        self.links: list[tuple[str | None, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self._break(1)
        elif tag == "li":
            self._break(1)
            self._write("- ")
        elif tag in ("td", "th"):
            self._write(" ")
        elif tag == "blockquote":
            self._break(2)
            self.quote += 1
        elif tag in _BLOCKS:
            self._break(2)
            self.pre += tag == "pre"
        if tag == "a":
            self.links.append((dict(attrs).get("href"), len(self._text())))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self._break(2)
            self.quote = max(0, self.quote - 1)
        elif tag in _BLOCKS:
            self.pre -= tag == "pre" and self.pre > 0
            self._break(2)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = self._text()[start:]
            if href and not href.startswith(("#", "cid:")) and href.removeprefix("mailto:") not in label:
                self._write(f" [{href}]")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self._write(first)
            for line in rest:
                self._break(1)
                self._write(line)
        else:
            self._write(re.sub(r"\s+", " ", data))

    def _text(self) -> str:
        return str(self.lines[-1][1])

    def _write(self, text: str) -> None:
        line = self.lines[-1]
        if not str(line[1]).strip():
            line[0] = self.quote
            text = text if self.pre else text.lstrip()
        elif not self.pre and str(line[1]).endswith(" "):
            text = text.lstrip(" ")
        line[1] = str(line[1]) + text

    def _break(self, count: int) -> None:
        blank = 0
        for line in reversed(self.lines):
            if str(line[1]).strip():
                break
            blank += 1
        self.lines.extend([0, ""] for _ in range(max(0, count - blank)))


def to_text(html: str) -> str:
    """The plain-text rendering of an HTML body (``a_body``)."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    rendered = [("> " * int(depth) + str(text).rstrip()) if str(text).strip() else "" for depth, text in parser.lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(rendered)).strip()
