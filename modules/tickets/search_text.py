"""The words of a ticket search, and the documents they are matched against, in each backend's full-text syntax.

The words of ``text`` never reach a full-text parser as typed.  They are cut into tokens here (runs of letters and
digits, as SQLite's ``unicode61`` tokenizer cuts them), and each backend's query is written from the tokens alone:
quotes, ``*``, ``-``, ``:``, ``AND``, ``NEAR(`` and ``'; DROP`` are punctuation or plain words, never syntax.

* Every word must match (in the ticket's number and title, or in one article).
* A word holding punctuation (``john.doe@example.com``, ``ERR-1234``) is a phrase of its tokens, in order.
* ``"quoted words"`` are a phrase; an unbalanced quote is ignored.
* The last word matches as a prefix (``prin`` finds ``printer``) when it has at least :data:`PREFIX_MIN` characters
  and is not quoted.
* Text with no letter or digit at all (``"*"``, ``--``) searches by the filters alone.

Documents are cut by the same :func:`tokens` before they are indexed (:func:`document`), so a document and a
search always agree on what a word is, on every backend: lower case, and accents folded (``Müller`` is
``muller``; PostgreSQL has no ``unaccent`` without a superuser, so the folding happens here, for all backends).

Example::

    >>> terms = parse_text('printer "paper jam" john.doe@exa')
    >>> fts5_query(terms)
    '"printer" "paper jam" "john doe exa"*'
    >>> tsquery(terms)
    "'printer' & 'paper' <-> 'jam' & 'john' <-> 'doe' <-> ('exa' | '^exa')"
    >>> document("Re: ERR-1234", "Jörg <jorg@example.com>")
    're err 1234 jorg jorg example com'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_TEXT = 500
"""Characters of search text accepted; PostgreSQL's 2 kB lexeme limit is never reached."""

MAX_TERMS = 20
"""Words (and phrases) per search: each is one more index lookup."""

PREFIX_MIN = 3
"""Shortest last word matched as a prefix: ``pr*`` would read the posting lists of half the vocabulary."""

PREFIX_MARK = "^"
"""On PostgreSQL a document also holds each word's beginnings as lexemes marked so (``'^lapt'`` for ``laptops``),
``PREFIX_MIN`` to :data:`PREFIX_MAX` characters long and shorter than the word: ``gotrs_search_doc`` in revision
``0008_search_prefixes``.  A prefix is then one exact lexeme, not a partial match of GIN's word list."""

PREFIX_MAX = 16
"""Longest beginning stored as a lexeme; a longer prefix is matched with ``:*`` (few words share one)."""

_TOKEN = re.compile(r"[^\W_]+")
_PIECE = re.compile(r'"([^"]*)"|(\S+)')


def _fold_table() -> tuple[str, str]:
    """Latin letters with diacritics and the letters they decompose to (``é`` → ``e``), one character each."""
    source, target = [], []
    for code in range(0xC0, 0x180):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0]
        if base != char and base.isascii() and base.isalpha():
            source.append(char)
            target.append(base)
    return "".join(source), "".join(target)


FOLD_FROM, FOLD_TO = _fold_table()
"""Accent folding of documents and search words alike (Latin-1 and Latin Extended-A letters)."""
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)


@dataclass(frozen=True)
class Term:
    """One thing that must match: a word (one token) or a phrase (tokens in order); ``prefix`` on the last token."""

    tokens: tuple[str, ...]
    prefix: bool = False


def tokens(text: str) -> tuple[str, ...]:
    """The tokens of ``text``: runs of letters and digits, lower-cased, accents folded.

    >>> tokens("Re: ERR-1234 (Müller)")
    ('re', 'err', '1234', 'muller')
    """
    return tuple(_TOKEN.findall(unicodedata.normalize("NFC", text).lower().translate(_FOLD)))


def document(*parts: str | None) -> str:
    """The text the index stores for these fields: their tokens, separated by spaces (``None`` fields skipped)."""
    return " ".join(" ".join(tokens(part)) for part in parts if part)


LEXEME_BYTES = 2048
"""PostgreSQL keeps no lexeme of this many UTF-8 bytes or more (``to_tsvector`` skips such a word, so do we)."""
PREFIXED_WORDS = 4000
"""Words of a document, in order of first appearance, whose beginnings are stored (a ``tsvector`` holds 1 MB)."""
POSITIONS = 256
"""Positions PostgreSQL keeps per lexeme (the lowest)."""


def tsvector_literal(document_text: str) -> str:
    """The PostgreSQL ``tsvector`` (input syntax) of a :func:`document`: each token a lexeme at its positions, and
    the beginnings of the first :data:`PREFIXED_WORDS` words, :data:`PREFIX_MIN` to :data:`PREFIX_MAX` characters
    and shorter than the word, marked :data:`PREFIX_MARK`.  The same value as the database function
    ``gotrs_search_doc`` (revision ``0008_search_prefixes``, which the migration and bulk loads use), built here
    where the tokens already are.

    >>> tsvector_literal("laptop lapse laptop")
    "'laptop':1,3 'lapse':2 '^lap':1,2,3 '^lapt':1,3 '^lapto':1,3 '^laps':2"
    """
    words: dict[str, list[int]] = {}
    for position, word in enumerate(document_text.split(), start=1):
        if len(word.encode()) < LEXEME_BYTES:
            words.setdefault(word, []).append(position)
    lexemes = dict(words)
    for word in list(words)[:PREFIXED_WORDS]:
        for size in range(PREFIX_MIN, min(len(word) - 1, PREFIX_MAX) + 1):
            lexemes.setdefault(PREFIX_MARK + word[:size], []).extend(words[word])
    entries = []
    for lexeme, positions in lexemes.items():
        quoted = lexeme.replace("\\", "\\\\").replace("'", "''")
        kept = sorted(set(positions))[:POSITIONS] if lexeme[0] == PREFIX_MARK else positions[:POSITIONS]
        entries.append(f"'{quoted}':{','.join(map(str, kept))}")
    return " ".join(entries)


def parse_text(text: str) -> tuple[Term, ...]:
    """The terms of a search text, in order, without repeats (see the module docstring for the rules).

    >>> parse_text('"Paper jam" prin')
    (Term(tokens=('paper', 'jam'), prefix=False), Term(tokens=('prin',), prefix=True))
    >>> parse_text("'; DROP ticket; --")
    (Term(tokens=('drop',), prefix=False), Term(tokens=('ticket',), prefix=True))
    """
    terms: list[Term] = []
    last_quoted = False
    for match in _PIECE.finditer(text):
        quoted, word = match.groups()
        found = tokens(quoted if quoted is not None else word)
        if found:
            terms.append(Term(found))
            last_quoted = quoted is not None
    if terms and not last_quoted and len(terms[-1].tokens[-1]) >= PREFIX_MIN:
        terms[-1] = Term(terms[-1].tokens, prefix=True)
    unique: dict[tuple[str, ...], Term] = {}
    for term in terms:  # a repeated word adds nothing; keep its prefix form if either had one
        if term.tokens not in unique or term.prefix:
            unique[term.tokens] = term
    return tuple(unique.values())


def fts5_query(terms: tuple[Term, ...]) -> str:
    """An SQLite FTS5 expression: each term a double-quoted string (tokens hold no quote), ``*`` for the prefix."""
    return " ".join('"' + " ".join(term.tokens) + '"' + ("*" if term.prefix else "") for term in terms)


def tsquery(terms: tuple[Term, ...]) -> str:
    """A PostgreSQL ``tsquery`` literal: quoted lexemes (the tokens as they are, letters and digits only), ``<->``
    phrases, ``&`` between; a prefix is the word itself or a word beginning with it (:data:`PREFIX_MARK`).

    >>> tsquery(parse_text("printer lapt"))
    "'printer' & ('lapt' | '^lapt')"
    >>> tsquery(parse_text("internationalisatio"))
    "'internationalisatio':*"
    """
    parts = []
    for term in terms:
        lexemes = [f"'{token}'" for token in term.tokens]
        if term.prefix:
            last = term.tokens[-1]
            lexemes[-1] = f"('{last}' | '{PREFIX_MARK}{last}')" if len(last) <= PREFIX_MAX else f"'{last}':*"
        parts.append(" <-> ".join(lexemes))
    return " & ".join(parts)


MYSQL_MIN_TOKEN = 3
"""InnoDB's ``innodb_ft_min_token_size`` (a server setting, 3 by default): shorter words are not in its index."""


def boolean_query(terms: tuple[Term, ...]) -> str:
    """A MariaDB/MySQL ``MATCH ... AGAINST (... IN BOOLEAN MODE)`` text: ``+"a phrase"``, ``+word``, ``+prefix*``.

    InnoDB indexes no word shorter than :data:`MYSQL_MIN_TOKEN` and has no prefix inside a phrase: such words are
    left out, and such phrases become required words.  Empty when nothing searchable is left.

    >>> boolean_query(parse_text('"floor 3" on fire'))
    '+floor +fire*'
    """
    parts: list[str] = []
    for term in terms:
        words = [token for token in term.tokens if len(token) >= MYSQL_MIN_TOKEN]
        if len(words) == len(term.tokens) > 1 and not term.prefix:
            parts.append('+"' + " ".join(words) + '"')
        else:
            parts.extend(f"+{word}" for word in words)
            if term.prefix and words and words[-1] == term.tokens[-1]:
                parts[-1] += "*"
    return " ".join(parts)
