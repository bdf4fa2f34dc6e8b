"""The translation mechanism: every string shown to the user has its English, and the language
is chosen from ASSISTANT_LANG, the setting and the system, in that order."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from assistant import i18n
from assistant.i18n import tools


def test_every_wrapped_string_is_in_the_catalogue_with_its_english() -> None:
    # Babel extracts every _()/N_()/ngettext() string of assistant/; each must be in the English
    # catalogue, translated, not fuzzy, with the same {placeholders} as the French.
    problems = list(tools.problems("en"))
    assert problems == [], "\n".join(problems[:40])


def test_catalogue_check_fails_on_a_missing_translation(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The check itself can fail: a catalogue with an untranslated entry and a missing string.
    po = tmp_path / "en" / "LC_MESSAGES" / "assistant.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "Signer"\nmsgstr ""\n', encoding="utf-8")
    monkeypatch.setattr(tools, "locale_dir", lambda: tmp_path)
    problems = list(tools.problems("en"))
    assert "no translation: 'Signer'" in problems
    assert any(line.startswith("not in the catalogue: 'Accueil'") for line in problems)


@pytest.mark.parametrize(
    ("env", "setting", "lang_env", "expected"),
    [
        ("en", "fr", "fr_FR.UTF-8", "en"),  # ASSISTANT_LANG wins
        ("", "en", "fr_FR.UTF-8", "en"),  # then the setting
        ("", "", "en_GB.UTF-8", "en"),  # then the system
        ("", "", "fr_BE.UTF-8", "fr"),
        ("", "", "C.UTF-8", "fr"),  # the neutral locale: the product's first language
        ("", "", "de_DE.UTF-8", "en"),  # any other language: English
        ("", "auto", "fr_CA", "fr"),
    ],
)
def test_language_resolution(monkeypatch: pytest.MonkeyPatch, env: str, setting: str, lang_env: str, expected: str) -> None:
    for var in ("ASSISTANT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    if env:
        monkeypatch.setenv("ASSISTANT_LANG", env)
    monkeypatch.setenv("LANG", lang_env)
    assert i18n.resolve_language(setting) == expected


def test_switching_language_changes_the_text() -> None:
    before = i18n.current_language()
    try:
        i18n.set_language("en")
        assert i18n._("Accueil") == "Home"
        assert i18n._("une phrase inconnue du catalogue") == "une phrase inconnue du catalogue"
        i18n.set_language("fr")
        assert i18n._("Accueil") == "Accueil"
    finally:
        i18n.set_language(before)


def test_the_compiled_catalogue_is_what_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # `python -m assistant.i18n compile` writes the .mo stdlib gettext reads; a fresh process with
    # ASSISTANT_LANG=en reads English from it without Babel's help.
    tools.compile_all()
    mo = tools.catalogue_path("en").with_suffix(".mo")
    assert mo.is_file()
    code = "import sys; sys.modules['babel'] = None; from assistant.i18n import _; print(_('Mes certificats'))"
    env = {**os.environ, "ASSISTANT_LANG": "en"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "My certificates"


def test_the_command_line_speaks_english_with_assistant_lang_en() -> None:
    env = {**os.environ, "ASSISTANT_LANG": "en"}
    out = subprocess.run([sys.executable, "-m", "assistant", "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "Sign files (PAdES, CAdES, XAdES)" in out.stdout and "Signer des fichiers" not in out.stdout
    env["ASSISTANT_LANG"] = "fr"
    out = subprocess.run([sys.executable, "-m", "assistant", "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert "Signer des fichiers (PAdES, CAdES, XAdES)" in out.stdout
