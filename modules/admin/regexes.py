"""OTRS stores Perl regular expressions; GOTRS runs Python's ``re``.  This module accepts the subset both read alike.

Refused, with the reason: anything ``re`` cannot compile; the Perl-only escapes ``\\z``, ``\\Z``, ``\\Q``/``\\E``,
``\\K``, ``\\G``, ``\\h``, ``\\R`` and ``\\X`` (Python reads some of them differently or not at all); POSIX classes
such as ``[[:alpha:]]`` (Python reads them as a plain character set); inline code ``(?{...})``, recursion ``(?R)``
and Perl's named groups ``(?<name>...)`` (write ``(?P<name>...)``).

Example::

    regex_problem(r"^foo\\d+$")     # ''
    regex_problem(r"[[:alpha:]]")  # "POSIX classes such as [[:alpha:]] are Perl-only; write [A-Za-z] instead."
"""

from __future__ import annotations

import re
import warnings

_PERL_ESCAPES = re.compile(r"(?<!\\)(?:\\\\)*\\([zZQEKGhRX])")
_PERL_GROUPS = re.compile(r"\(\?(?:\{|\?\{|R\)|[0-9]+\)|<[A-Za-z_])")
_POSIX_CLASS = re.compile(r"\[:\^?[a-z]+:\]")


def regex_problem(pattern: str) -> str:
    """Why ``pattern`` cannot be used (one sentence), or ``''`` when Python reads it as Perl does."""
    if _POSIX_CLASS.search(pattern):
        return "POSIX classes such as [[:alpha:]] are Perl-only; write [A-Za-z] instead."
    escape = _PERL_ESCAPES.search(pattern)
    if escape:
        return f"the Perl escape \\{escape.group(1)} is not supported."
    if _PERL_GROUPS.search(pattern):
        return "Perl-only groups ((?{...}), (?R), (?<name>...)) are not supported; write (?P<name>...) for names."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "possible nested set" and the like: Perl would read it otherwise
            re.compile(pattern)
    except (re.error, FutureWarning) as error:
        return f"not a valid regular expression ({error})."
    return ""
