"""The translation mechanism: every string shown to the user has its English, and the language
is chosen from ASSISTANT_LANG, the setting and the system, in that order."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

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
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "Signer"\nmsgstr ""\n',
        encoding="utf-8",
    )
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
def test_language_resolution(
    monkeypatch: pytest.MonkeyPatch, env: str, setting: str, lang_env: str, expected: str
) -> None:
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
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    assert "Sign files (PAdES, CAdES, XAdES)" in out.stdout and "Signer des fichiers" not in out.stdout
    env["ASSISTANT_LANG"] = "fr"
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert "Signer des fichiers (PAdES, CAdES, XAdES)" in out.stdout


# -- no French left outside the catalogue -----------------------------------------------------

_FRENCH_TEXT = re.compile(
    r"[éèêàâçùûôîœ«»]|\b(le|la|les|des|du|une|votre|vos|aucun|aucune|fichier|et|pour|avec)\b", re.I
)
#: Calls whose string arguments are not shown as they are: logging, the error pairs (French and
#: English side by side until the errors' catalogue takes them), lookups.
_NOT_SHOWN = {
    "debug",
    "info",
    "warning",
    "error",
    "exception",
    "getLogger",
    "get",
    "startswith",
    "endswith",
    "setObjectName",
    "setStyleSheet",
    "strftime",
    "replace",
    "split",
    "join",
    "compile",
    "search",
    "match",
    "sub",
    # French/English pairs handed to an error (the error shows the user's side)
    "_error",
    "_not_detached",
}
#: Modules another branch is rewriting; they join the catalogue when their owner lands them.
_NOT_YET = {"commands/prepare.py"}
#: Modules whose French text is for developers, not shown: the error codes' meanings (docs/errors.md).
_NOT_SHOWN_FILES = {"commands/errors.py", "signing/errors.py", "reports/errors.py"}
#: Names, not sentences: the product's name is the same in every language.
_NAMES = {"Assistant Marchés Publics"}


def _unwrapped_french(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    docstrings = {
        node.body[0].value
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or node in docstrings:
            continue
        if not _FRENCH_TEXT.search(node.value) or " " not in node.value.strip() or node.value in _NAMES:
            continue
        shown = True
        parent = parents.get(node)
        while parent is not None and not isinstance(parent, ast.stmt):
            if isinstance(parent, ast.Call):
                func = parent.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in ("_", "N_", "M_", "ngettext") or name in _NOT_SHOWN or name.endswith("Error"):
                    shown = False
                    break
            parent = parents.get(parent)
        if isinstance(parents.get(node), ast.Expr):  # a bare string: a comment-like docstring
            shown = False
        if shown:
            found.append(f"{path.name}:{node.lineno}: {node.value[:70]!r}")
    return found


def test_no_french_string_is_shown_without_the_catalogue() -> None:
    root = Path(tools.package_root())
    files = [
        *sorted((root / "ui").rglob("*.py")),
        *sorted((root / "commands").glob("*.py")),
        root / "cli.py",
        *sorted((root / "signing").glob("*.py")),
        *sorted((root / "reports").glob("*.py")),
    ]
    found = [
        line
        for path in files
        if path.relative_to(root).as_posix() not in _NOT_YET | _NOT_SHOWN_FILES
        for line in _unwrapped_french(path)
    ]
    assert found == []


# -- the old settings' language ------------------------------------------------------------------


def test_an_old_settings_file_follows_the_system_language(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Before version 2 every save wrote language="fr" (the old default): on an English system such a
    # file must not keep the user in French. A French chosen in a version-2 file stays French.
    from assistant.settings import SETTINGS_VERSION, Settings

    for var in ("ASSISTANT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    old = tmp_path / "old.json"
    old.write_text('{"language": "fr", "tsa_url": "http://tsa.example/"}', encoding="utf-8")
    settings = Settings.load(old)
    assert settings.language == ""
    assert settings.tsa_url == "http://tsa.example/"
    assert i18n.resolve_language(settings.language) == "en"
    settings.save(old)
    assert f'"settings_version": {SETTINGS_VERSION}' in old.read_text(encoding="utf-8")

    chosen = tmp_path / "chosen.json"
    Settings(language="fr").save(chosen)
    again = Settings.load(chosen)
    assert again.language == "fr"
    assert i18n.resolve_language(again.language) == "fr"
    # An old file that chose English keeps it.
    (tmp_path / "en.json").write_text('{"language": "en"}', encoding="utf-8")
    assert Settings.load(tmp_path / "en.json").language == "en"
