"""Labels in the request's language: ``@key`` and ``@key|Fallback`` in specs, ``_("key")`` in templates.

Label files are ``<directory>/<lang>.yaml`` (``en.yaml``, ``de.yaml``, ``pt-BR.yaml``) with nested keys::

    admin:
      statuses: {valid: Valid, invalid: Invalid}     # key 'admin.statuses.valid'

Each file is validated when it loads: bad YAML, a value that is not text, a key defined twice are problems with
file and line (``gotrs check`` prints them via :func:`check_directory`); a broken file keeps its last good labels.
With ``watch`` on, the shared :class:`~goatkit.filewatch.YamlWatcher` reloads the files when they change.

**Which language.**  The app's ``language_of()`` hook first (a user's saved preference; ``None`` when it has none),
then the ``Accept-Language`` header negotiated against the available languages, then English.  It is decided once
per request.

**Missing labels.**  The language's text, else the spec's fallback, else the English text, else the caller's default
(a field's humanised name), else a readable form of the key's last segment (``admin.export_csv`` -> ``Export csv``).
Each missing key is logged once per language.

Example::

    i18n.init_app(app, ROOT / "i18n", language_of=lambda: None, watch=True)
    translate("@admin.statuses.valid|Valid")     # 'Gültig' for a German browser, 'Valid' outside a request
    # in a template: {{ _("common.save") }}  or  {{ "@common.save|Save" | _ }}
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from flask import Flask, current_app, g, has_request_context, request

from goatkit.filewatch import YamlWatcher
from goatkit.yamlfile import Document, KeyPath, Problem, YamlSyntaxError, load_documents

log = logging.getLogger("goatkit.i18n")

EXTENSION_KEY = "goatkit.i18n"
DEFAULT_LANGUAGE = "en"
#: ``en``, ``de``, ``pt-BR``, ``zh-Hant``: the file name of a label file without its suffix.
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
#: ``language_of()`` -> a language code, or ``None`` when the user has not chosen one.
LanguageHook = Callable[[], str | None]
Catalog = Mapping[str, str]


def humanise(key: str) -> str:
    """The readable form of a key: its last segment, underscores as spaces (``admin.export_csv`` -> ``Export csv``)."""
    return key.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def parse_label(text: str) -> tuple[str, str] | None:
    """``"@key|Fallback"`` -> ``("key", "Fallback")``; ``"@key"`` -> ``("key", "")``; plain text -> ``None``."""
    if not text.startswith("@"):
        return None
    key, _, fallback = text[1:].partition("|")
    return key.strip(), fallback


# ------------------------------------------------------------------------------------------------------ label files


def language_files(directory: Path) -> list[Path]:
    """The label files of ``directory`` (``*.yaml``/``*.yml``), sorted; none if it does not exist."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def read_catalog(path: Path) -> tuple[dict[str, str], list[Problem]]:
    """The flat ``key -> text`` labels of one file, and its problems (file:line: key: message)."""
    if not LANGUAGE_PATTERN.fullmatch(path.stem):
        return {}, [Problem(str(path), 1, "", f"'{path.stem}' is not a language code such as en, de or pt-BR")]
    try:
        documents = load_documents(path)
    except YamlSyntaxError as error:
        return {}, [error.problem]
    if not documents:
        return {}, []
    if len(documents) > 1:
        return {}, [Problem(str(path), documents[1].start_line, "", "a label file holds one YAML document")]
    doc = documents[0]
    if not isinstance(doc.data, dict):
        return {}, [Problem(str(path), doc.start_line, "", "a label file is a mapping of keys to labels")]
    labels: dict[str, str] = {}
    problems: list[Problem] = []
    _flatten(doc, doc.data, (), labels, problems)
    return labels, problems


def _flatten(doc: Document, data: dict[Any, Any], where: KeyPath, out: dict[str, str], problems: list[Problem]) -> None:
    for name, value in data.items():
        path = (*where, str(name))
        key = ".".join(str(part) for part in path)
        if isinstance(value, dict):
            _flatten(doc, value, path, out, problems)
        elif not isinstance(value, str):
            shown = type(value).__name__ if value is not None else "empty"
            problems.append(Problem(str(doc.path), doc.line_of(path), key, f"a label is text, not {shown}"))
        elif key in out:
            problems.append(Problem(str(doc.path), doc.line_of(path), key, "this key is defined twice"))
        else:
            out[key] = value


def check_directory(directory: Path) -> tuple[list[Problem], int]:
    """Validate every label file of ``directory``; return the problems and how many files were read."""
    files = language_files(directory)
    problems = [problem for path in files for problem in read_catalog(path)[1]]
    return problems, len(files)


# ---------------------------------------------------------------------------------------------------- the extension


class I18n:
    """The label catalogs of one app, loaded from ``directory``; swapped as a whole on reload."""

    def __init__(self, directory: Path, language_of: LanguageHook | None = None, *, watch: bool = False) -> None:
        self.directory = directory
        self.language_of = language_of
        self.wants_watch = watch  # started by the first request, so commands and tests start no thread
        self.catalogs: Mapping[str, Catalog] = MappingProxyType({})
        self.problems: tuple[Problem, ...] = ()
        self._missing: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._watcher: YamlWatcher | None = None

    def load(self) -> None:
        """Read every file; a file with problems keeps its previous labels (problems are logged)."""
        with self._lock:
            catalogs: dict[str, Catalog] = {}
            problems: list[Problem] = []
            for path in language_files(self.directory):
                labels, found = read_catalog(path)
                problems.extend(found)
                keep = self.catalogs.get(path.stem)
                catalogs[path.stem] = keep if found and keep is not None else MappingProxyType(labels)
            for problem in problems:
                log.error("label problem: %s", problem)
            self.catalogs = MappingProxyType(catalogs)
            self.problems = tuple(problems)
            self._missing = set()

    def watch(self, debounce: float = 0.2) -> None:
        """Reload whenever a label file is added, changed, renamed or deleted."""
        with self._lock:
            if self._watcher is not None:
                return
            self._watcher = YamlWatcher([self.directory], self.load, what="label", log=log, debounce=debounce)
            self._watcher.start()

    @property
    def watching(self) -> bool:
        return self._watcher is not None

    def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    @property
    def languages(self) -> list[str]:
        """The available languages, English first."""
        return sorted({DEFAULT_LANGUAGE, *self.catalogs}, key=lambda code: (code != DEFAULT_LANGUAGE, code))

    def choose(self, preferred: str | None, accept: Callable[[list[str]], str | None]) -> str:
        """``preferred`` (or its base language) if available, else ``accept(languages)``, else English."""
        available = self.languages
        for code in (preferred, (preferred or "").split("-")[0]) if preferred else ():
            match = next((lang for lang in available if lang.lower() == code.lower()), None)
            if match:
                return match
        return accept(available) or DEFAULT_LANGUAGE

    def text(self, key: str, language: str, fallback: str = "", default: str = "") -> str:
        """The label of ``key`` in ``language`` (see the module docstring for what a missing key gives)."""
        found = self.catalogs.get(language, {}).get(key)
        if found is not None:
            return found
        if (language, key) not in self._missing:
            self._missing.add((language, key))
            log.warning("label '%s' is missing in %s", key, language)
        return fallback or self.catalogs.get(DEFAULT_LANGUAGE, {}).get(key) or default or humanise(key)


def init_app(app: Flask, directory: Path, language_of: LanguageHook | None = None, *, watch: bool = False) -> I18n:
    """Load the label files of ``directory`` for ``app`` and add ``_`` to its templates (a global and a filter).

    With ``watch`` the files are reloaded when they change, from the first request on.
    """
    ext = I18n(directory, language_of, watch=watch)
    ext.load()
    app.extensions[EXTENSION_KEY] = ext
    app.jinja_env.globals["_"] = gettext
    app.jinja_env.filters["_"] = gettext
    return ext


def extension(app: Flask | None = None) -> I18n | None:
    """The :class:`I18n` of ``app`` (default: the current app), or ``None`` when the app has none."""
    ext = (app or current_app).extensions.get(EXTENSION_KEY)
    return ext if isinstance(ext, I18n) else None


def current_language() -> str:
    """The language of the current request (English outside a request or without the extension)."""
    ext = extension() if has_request_context() else None
    if ext is None:
        return DEFAULT_LANGUAGE
    language: str | None = g.get("_goatkit_language")
    if language is None:
        if ext.wants_watch and not ext.watching:
            ext.watch()
        preferred = ext.language_of() if ext.language_of is not None else None
        language = ext.choose(preferred, request.accept_languages.best_match)
        g._goatkit_language = language
    return language


def translate(text: str, default: str = "") -> str:
    """A spec label in the request's language: ``@key|Fallback`` and ``@key`` are looked up, other text is kept.

    Outside a request (or without the extension) a label gives its fallback, else ``default``, else the
    humanised key.
    """
    parsed = parse_label(text)
    if parsed is None:
        return text
    key, fallback = parsed
    ext = extension() if has_request_context() else None
    if ext is None:
        return fallback or default or humanise(key)
    return ext.text(key, current_language(), fallback, default)


def gettext(text: str) -> str:
    """The template function ``_``: ``_("common.save")`` or ``_("@common.save|Save")``."""
    return translate(text if text.startswith("@") else "@" + text)
