"""Labels in the request's language: label files, negotiation, fallbacks, templates, reload."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from goatkit import i18n
from goatkit.engine.fieldtypes import label_text
from tests.waiting import RELOAD_SECONDS, within

ROOT = Path(__file__).resolve().parents[2]
EN = "admin:\n  statuses:\n    valid: Valid\n    invalid: Invalid\ncommon: {actions: {save: Save}}\n"
DE = "admin:\n  statuses:\n    valid: Gültig\ncommon: {actions: {save: Speichern}}\n"


@pytest.fixture
def labels(tmp_path: Path) -> Path:
    folder = tmp_path / "i18n"
    folder.mkdir()
    (folder / "en.yaml").write_text(EN)
    (folder / "de.yaml").write_text(DE)
    return folder


def make_app(folder: Path, language_of: i18n.LanguageHook | None = None) -> Flask:
    app = Flask(__name__)
    i18n.init_app(app, folder, language_of=language_of)
    return app


def test_nested_keys_are_flattened(labels: Path) -> None:
    catalog, problems = i18n.read_catalog(labels / "de.yaml")
    assert (catalog, problems) == ({"admin.statuses.valid": "Gültig", "common.actions.save": "Speichern"}, [])


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("de.yaml", "admin:\n  valid: [Gültig]\n", ["{f}:2: admin.valid: a label is text, not list"]),
        ("de.yaml", "admin:\n  valid:\n", ["{f}:2: admin.valid: a label is text, not empty"]),
        ("de.yaml", "a:\n  b: x\na.b: y\n", ["{f}:3: a.b: this key is defined twice"]),
        ("de.yaml", "admin: {valid: x\nsave: y\n", ["{f}:2: invalid YAML: expected ',' or '}', but got ':'"]),
        ("de.yaml", "- Gültig\n", ["{f}:1: a label file is a mapping of keys to labels"]),
        ("German.yaml", "a: b\n", ["{f}:1: 'German' is not a language code such as en, de or pt-BR"]),
    ],
)
def test_bad_label_files_are_reported_with_file_and_line(
    tmp_path: Path, name: str, text: str, expected: list[str]
) -> None:
    path = tmp_path / name
    path.write_text(text)
    problems, checked = i18n.check_directory(tmp_path)
    assert ([str(p) for p in problems], checked) == ([e.replace("{f}", str(path)) for e in expected], 1)


def test_the_shipped_label_files_are_valid_and_have_the_same_keys() -> None:
    assert i18n.check_directory(ROOT / "i18n") == ([], len(i18n.language_files(ROOT / "i18n")))
    english, _ = i18n.read_catalog(ROOT / "i18n" / "en.yaml")
    german, _ = i18n.read_catalog(ROOT / "i18n" / "de.yaml")
    assert len(english) >= 60
    assert english.keys() == german.keys()
    assert (english["admin.statuses.valid"], german["admin.statuses.valid"]) == ("Valid", "Gültig")
    assert german["common.actions.export_csv"] == "CSV exportieren"


def test_outside_a_request_a_label_gives_its_fallback_or_the_humanised_name() -> None:
    assert label_text("@admin.statuses.valid|Valid", "valid_id") == "Valid"
    assert label_text("@admin.statuses.valid", "valid_id") == "Valid id"
    assert label_text("", "valid_id") == "Valid id"
    assert label_text("Plain", "valid_id") == "Plain"
    assert i18n.translate("@admin.export_csv") == "Export csv"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "Gültig"),
        ("fr, de;q=0.5", "Gültig"),
        ("fr", "Valid"),
        ("", "Valid"),
        ("en-GB", "Valid"),
    ],
)
def test_accept_language_is_negotiated_against_the_available_languages(
    labels: Path, accept: str, expected: str
) -> None:
    app = make_app(labels)
    with app.test_request_context(headers={"Accept-Language": accept} if accept else {}):
        assert label_text("@admin.statuses.valid|Valid!", "valid_id") == expected


@pytest.mark.parametrize(("choice", "expected"), [("de", "Speichern"), ("de-AT", "Speichern"), ("xx", "Save")])
def test_the_apps_language_hook_comes_before_the_header(labels: Path, choice: str, expected: str) -> None:
    app = make_app(labels, language_of=lambda: choice)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert i18n.gettext("common.actions.save") == expected
        assert i18n.current_language() == ("de" if expected == "Speichern" else "en")


def test_a_missing_key_gives_the_fallback_then_english_then_the_key_and_is_logged_once(
    labels: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(labels)
    with caplog.at_level(logging.WARNING, "goatkit.i18n"), app.test_request_context(headers={"Accept-Language": "de"}):
        assert label_text("@admin.statuses.invalid|Not valid", "valid_id") == "Not valid"
        assert label_text("@admin.statuses.invalid", "valid_id") == "Invalid"  # no fallback: the English text
        assert label_text("@admin.statuses.unknown", "valid_id") == "Valid id"  # then the field's own name
        assert i18n.gettext("admin.nowhere.export_csv") == "Export csv"
    missing = [r.getMessage() for r in caplog.records]
    assert missing == [
        "label 'admin.statuses.invalid' is missing in de",
        "label 'admin.statuses.unknown' is missing in de",
        "label 'admin.nowhere.export_csv' is missing in de",
    ]


def test_templates_translate_with_underscore(labels: Path) -> None:
    app = make_app(labels)
    source = '{{ _("common.actions.save") }} / {{ "@admin.statuses.valid|Valid" | _ }} / {{ _("@x.y|Other") }}'
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert render_template_string(source) == "Speichern / Gültig / Other"


def test_label_files_reload_when_they_change_and_a_broken_file_keeps_its_labels(labels: Path) -> None:
    app = Flask(__name__)
    ext = i18n.init_app(app, labels, watch=True)
    try:
        assert not ext.watching  # started by the first request, not by the factory

        def german_save() -> str:
            with app.test_request_context(headers={"Accept-Language": "de"}):
                return i18n.gettext("common.actions.save")

        assert german_save() == "Speichern"
        assert ext.watching
        (labels / "de.yaml").write_text(DE.replace("Speichern", "Sichern"))
        assert within(RELOAD_SECONDS, lambda: german_save() == "Sichern")
        (labels / "de.yaml").write_text("common: {actions: {save: [broken]}}\n")
        assert within(RELOAD_SECONDS, lambda: bool(ext.problems))
        assert str(ext.problems[0]).endswith("de.yaml:1: common.actions.save: a label is text, not list")
        assert german_save() == "Sichern"
    finally:
        ext.stop()
