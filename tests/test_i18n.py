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
    r"[éèêàâçùûôîœ«»]|\b(le|la|les|des|du|une|un|votre|vos|aucun|aucune|fichier|fichiers|et|pour|avec|de|est|sont|pas|ne|sur|dans|au|aux|ce|cette|ces|ou|par|qui|que|sans|mais|plus|vous|nous|il|elle|poste|carte|cartes|dossier|plateforme|serveur|complet|complète|introuvable|lancez|installez|vérifiez|choisissez|indiquez)\b",
    re.I,
)
#: Calls whose string arguments are not shown as they are: logging, lookups, string plumbing.
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
}
#: Module-level tables whose French is for developers, not shown: each layer's error codes with
#: their meaning (docs/errors.md is generated from them, tests/test_error_codes.py).
_NOT_SHOWN_TABLES = {"MEANINGS", "CODE_MEANINGS", "_CSS"}  # and a style sheet ("sans-serif")
#: Names, not sentences: the product's name is the same in every language.
_NAMES = {"Assistant Marchés Publics"}
#: Folders and modules whose French is French by nature, with why.
_FRENCH_BY_NATURE = {
    # The demo platform plays a French buyer's platform (its pages, consultations, companies):
    # like a real platform it speaks its own language, which is not the assistant's to translate.
    "demo/": "the demo platform's own pages and data",
    # The catalogue mechanism itself (its docstrings and argparse's table of French sources).
    "i18n/": "the translation mechanism",
    "commands/errors.py": "the command line's error codes' meanings (docs/errors.md)",
    "signing/errors.py": "the signing layer's error codes' meanings (docs/errors.md)",
    "reports/errors.py": "the reports' error codes' meanings (docs/errors.md)",
}
#: Modules not yet through the catalogue (most carry their English inline as French/English
#: pairs, which move into assistant.po); the list only shrinks.
_NOT_YET: set[str] = set()


#: A line may say why its French stays as it is: data, not UI text (a certificate's name).
_KEPT = "# not translated:"


def _unwrapped_french(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
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
        # A string, or an f-string judged on all its literal parts together.
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node not in docstrings:
            if isinstance(parents.get(node), ast.JoinedStr):
                continue
            text = node.value
        else:
            continue
        if not _FRENCH_TEXT.search(text) or " " not in text.strip() or text in _NAMES:
            continue
        shown = True
        parent = parents.get(node)
        while parent is not None:
            if isinstance(parent, ast.Call):
                func = parent.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in ("_", "N_", "M_", "ngettext") or name in _NOT_SHOWN:
                    shown = False
                    break
            if isinstance(parent, (ast.Assign, ast.AnnAssign)):
                targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
                if any(isinstance(t, ast.Name) and t.id in _NOT_SHOWN_TABLES for t in targets):
                    shown = False
                break
            if isinstance(parent, ast.stmt):
                break
            parent = parents.get(parent)
        if isinstance(parents.get(node), ast.Expr):  # a bare string: a comment-like docstring
            shown = False
        if any(_KEPT in line for line in lines[node.lineno - 1 : node.end_lineno or node.lineno]):
            shown = False
        if shown:
            found.append(f"{path.name}:{node.lineno}: {text[:70]!r}")
    return found


def _checked_modules() -> list[Path]:
    root = Path(tools.package_root())
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if any(rel.startswith(prefix) for prefix in _FRENCH_BY_NATURE):
            continue
        if rel not in _NOT_YET:
            out.append(path)
    return out


def test_no_french_string_is_shown_without_the_catalogue() -> None:
    # Every layer: the window, the command line, errors, diagnostics, key stores, jobs, the bridge.
    root = Path(tools.package_root())
    found = [
        f"{path.relative_to(root).parent.as_posix()}/{line}"
        for path in _checked_modules()
        for line in _unwrapped_french(path)
    ]
    assert found == [], "\n".join(found)


def test_the_french_detector_can_fail(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from assistant.i18n import M_, _\n"
        "def f(x):\n"
        "    raise KeyError(f'Le fichier {x} est introuvable.')\n"  # an error: shown, so caught
        "def g(x):\n"
        "    return _('Le fichier {x} est introuvable.').format(x=x), M_('Aucun certificat.')\n"
        "MEANINGS = {'a': '« Aucune carte. »'}\n"
        "LABEL = 'Système d\\'exploitation'\n"
        # French/English pairs, handed to an error or to a helper that builds one: shown, so caught
        "def h(url):\n"
        "    raise TimestampError('Réponse illisible.', 'Unreadable response.')\n"
        "def k(url):\n"
        "    raise _error(url, 'le jeton ne porte pas sur la signature.', 'the token is not over it.')\n",
        encoding="utf-8",
    )
    found = _unwrapped_french(sample)
    assert {int(line.split(":")[1]) for line in found} == {3, 7, 9, 11}


def _inline_pairs(path: Path) -> list[str]:
    """Errors still given an inline French/English pair (`XxxError("…", "…")`) instead of an M_()
    message: found by their shape, so a short French phrase the word list misses is caught too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or len(node.args) < 2:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        texts = [
            arg
            for arg in node.args[:2]
            if isinstance(arg, ast.JoinedStr) or (isinstance(arg, ast.Constant) and isinstance(arg.value, str))
        ]
        if name.endswith("Error") and len(texts) == 2:
            found.append(f"{path.name}:{node.lineno}: {name}")
    return found


def test_no_error_is_given_an_inline_french_english_pair(tmp_path: Path) -> None:
    # Every layer's errors take their English from the catalogue (M_()), signing/ and reports/ too.
    root = Path(tools.package_root())
    found = [f"{p.relative_to(root).parent.as_posix()}/{line}" for p in _checked_modules() for line in _inline_pairs(p)]
    assert found == [], "\n".join(found)
    # The check can fail: a pair the French word list would miss ("jeton absent.") is caught by shape.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(url):\n"
        "    raise TimestampError('jeton absent.', 'no token.')\n"
        "def g(path):\n"
        "    raise InputFileError(M_('Fichier introuvable : {path}', path=path))\n",
        encoding="utf-8",
    )
    assert _inline_pairs(sample) == ["sample.py:2: TimestampError"]


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


# -- what the user sees, in each language ---------------------------------------------------------


def _assistant(*args: str, lang: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_LANG": lang, "ASSISTANT_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True, timeout=180
    )


def test_the_workstation_test_speaks_the_users_language(tmp_path: Path) -> None:
    en = _assistant("diagnose", lang="en", home=tmp_path)
    assert "Operating system" in en.stdout and "Result: Your computer's configuration" in en.stdout
    assert "Smart cards and USB tokens (PKCS#11)" in en.stdout and "Web browser version" in en.stdout
    assert not _FRENCH_TEXT.search(en.stdout.replace("Assistant Marchés Publics", "")), en.stdout
    fr = _assistant("diagnose", lang="fr", home=tmp_path)
    assert "Système d'exploitation" in fr.stdout and "Résultat : La configuration de votre poste" in fr.stdout


def test_argparse_speaks_the_users_language(tmp_path: Path) -> None:
    en = _assistant("--help", lang="en", home=tmp_path)
    assert en.stdout.startswith("usage: assistant") and "positional arguments" in en.stdout
    assert "show this help message and exit" in en.stdout
    fr = _assistant("--help", lang="fr", home=tmp_path)
    assert fr.stdout.startswith("utilisation : assistant") and "arguments positionnels" in fr.stdout
    assert "afficher cette aide et quitter" in fr.stdout and "show this help" not in fr.stdout
    wrong = _assistant("sign", "--bogus", lang="fr", home=tmp_path)
    assert wrong.returncode == 2
    assert "assistant sign : erreur : arguments obligatoires manquants : --format, --key" in wrong.stderr
    wrong = _assistant("sign", lang="en", home=tmp_path)
    assert "assistant sign: error: the following arguments are required: --format, --key" in wrong.stderr
    unknown = _assistant("--bogus", lang="fr", home=tmp_path)
    assert "erreur : arguments non reconnus : --bogus" in unknown.stderr


def test_a_wrong_pin_is_said_in_both_languages() -> None:
    from assistant.keystores.pkcs11.backend import PinState, _incorrect

    error = _incorrect("Carte Démo", PinState.FINAL_TRY, "pin")
    assert error.message_fr == (
        "Code PIN incorrect pour « Carte Démo ». Attention : il ne reste qu'un seul essai avant le blocage."
    )
    assert error.message_en == "Wrong PIN for 'Carte Démo'. Warning: one attempt remains before it is locked."
    before = i18n.current_language()
    try:
        i18n.set_language("en")
        assert error.message == error.message_en
        i18n.set_language("fr")
        assert error.message == error.message_fr
    finally:
        i18n.set_language(before)


def test_module_level_texts_follow_the_language_chosen_at_run_time() -> None:
    # Labels defined when a module loads are marked, not translated: switching the language later
    # changes what is shown (no French frozen at import).
    from assistant.jobs.model import JobType
    from assistant.keystores.conformity import LABELS, Category

    before = i18n.current_language()
    try:
        i18n.set_language("en")
        assert i18n._(JobType.DOWNLOAD.title_fr) == "Download of the encrypted bids"
        assert i18n._(LABELS[Category.EXPIRED]) == "expired, can no longer sign"
        from assistant.diagnostics import checks

        assert i18n._(checks.LABEL_OS) == "Operating system"
        i18n.set_language("fr")
        assert i18n._(checks.LABEL_OS) == "Système d'exploitation"
    finally:
        i18n.set_language(before)


def test_nothing_is_translated_when_a_module_loads() -> None:
    # `_()` at module or class level (or in a default argument) would freeze the language of the
    # moment of import; such texts are marked N_()/M_() and translated where shown.
    root = Path(tools.package_root())
    frozen = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("_", "ngettext")):
                continue
            parent, at_run_time = parents.get(node), False
            while parent is not None:
                if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    defaults = [*parent.args.defaults, *(d for d in parent.args.kw_defaults if d is not None)]
                    at_run_time = not any(node in ast.walk(default) for default in defaults)
                    break
                parent = parents.get(parent)
            if not at_run_time:
                frozen.append(f"{path.relative_to(root)}:{node.lineno}")
    assert frozen == []
