"""Catalogue maintenance (development and build time only; needs Babel).

- `extract()` lists every string wrapped in `_()`, `N_()`, `M_()` or `ngettext()` under assistant/;
- `update()` merges them into the English catalogue (new ones untranslated, vanished ones dropped);
- `compile_all()` writes the `.mo` files stdlib gettext reads at run time;
- `problems()` is what the test and `check` report: wrapped strings missing from the catalogue,
  entries with no English, fuzzy entries, and translations whose placeholders differ from the source.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from assistant.i18n import DOMAIN, LANGUAGES, locale_dir

KEYWORDS = {"_": None, "N_": None, "M_": (1,), "ngettext": (1, 2)}
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[sd]|%[sd]")


def package_root() -> Path:
    return Path(__file__).resolve().parents[1]


def catalogue_path(language: str) -> Path:
    return locale_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> dict[str | tuple[str, str], list[str]]:
    """msgid (or (singular, plural)) -> where it appears ('ui/app.py:12')."""
    from babel.messages.extract import extract_from_dir

    root = package_root()
    found: dict[str | tuple[str, str], list[str]] = {}
    method_map = [("**.py", "python")]
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map=method_map, keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True
    ):
        if filename.startswith("i18n/"):
            continue
        key: str | tuple[str, str] = message if isinstance(message, str) else (message[0], message[1])
        found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


def _read(language: str):  # type: ignore[no-untyped-def]
    from babel.messages.pofile import read_po

    path = catalogue_path(language)
    if not path.is_file():
        from babel.messages.catalog import Catalog

        return Catalog(locale=language, domain=DOMAIN)
    with path.open("rb") as fp:
        return read_po(fp, locale=language, domain=DOMAIN)


def _write(language: str, catalog) -> None:  # type: ignore[no-untyped-def]
    from babel.messages.pofile import write_po

    path = catalogue_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fp:
        write_po(fp, catalog, width=120, sort_output=True, omit_header=False, include_lineno=False)


def update(language: str = "en") -> tuple[int, int]:
    """Merge the extracted strings into the catalogue; returns (added, removed)."""
    catalog = _read(language)
    extracted = extract()
    before = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    wanted = {k if isinstance(k, str) else k[0] for k in extracted}
    for key, places in extracted.items():
        existing = catalog.get(key if isinstance(key, str) else key[0])
        if existing is None:
            catalog.add(key, string=("", "") if isinstance(key, tuple) else "")
            existing = catalog.get(key if isinstance(key, str) else key[0])
        existing.locations = [(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in places]
    removed = 0
    for msgid in sorted(before - wanted):
        catalog.delete(msgid)
        removed += 1
    _write(language, catalog)
    return len(wanted - before), removed


def compile_all() -> list[Path]:
    """Write every language's `.mo` beside its `.po`; returns the files written."""
    from assistant.i18n import compile_po

    written = []
    for language in LANGUAGES:
        po = catalogue_path(language)
        if not po.is_file():
            continue
        data = compile_po(po)
        if data is None:
            raise RuntimeError("Babel is needed to compile the catalogues (pip install babel)")
        mo = po.with_suffix(".mo")
        mo.write_bytes(data)
        written.append(mo)
    return written


def problems(language: str = "en") -> Iterator[str]:
    """Every reason the catalogue is not complete for `language`, one line each."""
    from babel.messages.pofile import PoFileError, read_po

    path = catalogue_path(language)
    if path.is_file():
        try:  # strict: a merge left half done (conflict markers, a doubled msgstr) is a problem
            with path.open("rb") as fp:
                read_po(fp, locale=language, domain=DOMAIN, abort_invalid=True)
        except PoFileError as exc:
            yield f"catalogue does not parse: {exc}"
            return
    catalog = _read(language)
    for key, places in extract().items():
        msgid = key if isinstance(key, str) else key[0]
        if catalog.get(msgid) is None:
            yield f"not in the catalogue: {msgid!r} ({places[0]})"
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
        if not any(strings) or not all(strings):
            yield f"no translation: {ids[0]!r}"
            continue
        if message.fuzzy:
            yield f"fuzzy (to review): {ids[0]!r}"
        for source, text in zip(ids, strings, strict=False):
            if sorted(_PLACEHOLDER.findall(source)) != sorted(_PLACEHOLDER.findall(text)):
                yield f"placeholders differ: {source!r} -> {text!r}"
