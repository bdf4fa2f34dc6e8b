"""The product's one translation mechanism: French source strings, gettext catalogues.

Every string a person reads (windows, dialogs, the command line, error messages, what the bridge
hands a page) is written in French in the code and wrapped in `_()` (or marked with `N_()` where it
is defined before the language is known, and passed through `_()` where it is shown). The English
text lives in `locale/en/LC_MESSAGES/assistant.po`, the catalogue a translator edits.

Why gettext rather than Qt Linguist: the same strings are shown by layers that must not import Qt
(the command line, errors raised by keystores or envelopes, the bridge's JSON), and stdlib gettext
reads catalogues with nothing to install. Babel (a development tool) extracts the wrapped strings
and compiles the `.po` into the `.mo` stdlib gettext reads; the `.po` is the committed source of
truth (reviewable text), the `.mo` is a build product (`python -m assistant.i18n compile`, run by
the developer setup and the package build). When the `.mo` is missing or older than the `.po` (a
checkout where the catalogue was just edited) and Babel is importable, the `.po` is compiled in
memory instead, so what runs is always what the catalogue says.

The language is chosen once per process, in this order: `ASSISTANT_LANG`, the user's setting
(`Settings.language`, "" meaning "follow the system"), the operating system's language; French for
French locales and for the neutral C/POSIX locale, English for any other language.
"""

from __future__ import annotations

import gettext
import io
import locale
import os
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "M_",
    "N_",
    "Bilingual",
    "Message",
    "_",
    "configure",
    "current_language",
    "fr_en",
    "locale_dir",
    "localized",
    "ngettext",
    "resolve_language",
    "set_language",
    "text_of",
    "translate",
]

DOMAIN = "assistant"
#: The languages the product speaks: French (the source) and English (the catalogue).
LANGUAGES: tuple[str, ...] = ("fr", "en")

_lock = threading.Lock()
_language: str | None = None
_translations: gettext.NullTranslations = gettext.NullTranslations()
#: Catalogues loaded for `translate()` into a language other than the process's (an error's
#: English kept beside its French for the journal and the bridge).
_by_language: dict[str, gettext.NullTranslations] = {}


def locale_dir() -> Path:
    """Where the catalogues are (inside the package, also in a frozen build)."""
    base = getattr(sys, "_MEIPASS", None)
    if base:
        frozen = Path(base) / "assistant" / "i18n" / "locale"
        if frozen.is_dir():
            return frozen
    return Path(__file__).resolve().parent / "locale"


def _normalise(value: str | None) -> str | None:
    """'en_GB.UTF-8' -> 'en'; '' / 'auto' / None -> None (no opinion); C/POSIX -> 'fr'."""
    if not value:
        return None
    value = value.strip().lower()
    if value in ("", "auto", "system"):
        return None
    if value in ("c", "posix") or value.startswith(("c.", "posix.")):
        return "fr"
    primary = value.replace("-", "_").split("_")[0].split(".")[0].split(":")[0]
    if primary == "fr":
        return "fr"
    return "en" if primary else None


def system_language() -> str:
    """The operating system's language, reduced to one the product speaks."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        found = _normalise(os.environ.get(var))
        if found:
            return found
    try:
        found = _normalise(locale.getlocale()[0])
    except ValueError:
        found = None
    return found or "fr"


def resolve_language(setting: str | None = None) -> str:
    """ASSISTANT_LANG, then the user's setting, then the system's language."""
    return _normalise(os.environ.get("ASSISTANT_LANG")) or _normalise(setting) or system_language()


def _load(language: str) -> gettext.NullTranslations:
    if language == "fr":
        return gettext.NullTranslations()
    folder = locale_dir() / language / "LC_MESSAGES"
    po = folder / f"{DOMAIN}.po"
    mo = folder / f"{DOMAIN}.mo"
    fresh = mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime)
    if fresh:
        with mo.open("rb") as fp:
            return gettext.GNUTranslations(fp)
    if po.is_file():
        compiled = compile_po(po)
        if compiled is not None:
            return gettext.GNUTranslations(io.BytesIO(compiled))
    if mo.is_file():
        with mo.open("rb") as fp:
            return gettext.GNUTranslations(fp)
    return gettext.NullTranslations()


def compile_po(po: Path) -> bytes | None:
    """The `.mo` bytes of a `.po` catalogue (None when Babel, a development tool, is absent)."""
    try:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po
    except ImportError:
        return None
    with po.open("rb") as fp:
        catalog = read_po(fp)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def set_language(language: str) -> None:
    """Switch the process to `language` ('fr' or 'en'); later `_()` calls answer in it."""
    global _language, _translations
    if language not in LANGUAGES:
        language = _normalise(language) or "fr"
    translations = _load(language)
    with _lock:
        _language = language
        _translations = translations


def configure(setting: str | None = None) -> str:
    """Choose the language from the environment, the user's setting and the system; returns it."""
    language = resolve_language(setting)
    set_language(language)
    return language


def current_language() -> str:
    """The language strings are shown in ('fr' or 'en'); chosen on first use if nobody chose."""
    if _language is None:
        configure(None)
    assert _language is not None
    return _language


def _(message: str) -> str:
    """The user's-language text of a French source string."""
    if _language is None:
        configure(None)
    return _translations.gettext(message)


def localized(french: str, english: str) -> str:
    """One of a French/English pair another layer still carries (a verdict's label, a reason),
    in the user's language; the pairs move into the catalogue as those layers adopt `_()`."""
    return english if current_language() == "en" and english else french


def translate(message: str, language: str | None = None) -> str:
    """`message` (a French source string) in `language`, or in the user's language when None."""
    if language is None:
        return _(message)
    if language == "fr":
        return message
    with _lock:
        catalogue = _by_language.get(language)
    if catalogue is None:
        catalogue = _load(language)
        with _lock:
            _by_language[language] = catalogue
    return catalogue.gettext(message)


@dataclass(frozen=True)
class Message:
    """A French source text and its arguments, translated when it is shown, not when it is made.

    What the lower layers hand upwards (an error, a check's verdict, a PIN question) is made before
    anyone knows who reads it: the journal keeps it in French and English, the bridge sends both,
    the window shows the user's. `str()` gives the user's language; `text("en")` a given one. The
    source is a `str.format` template (`{name}`; literal braces doubled), extracted by Babel through
    `M_()`."""

    source: str
    args: Mapping[str, object] = field(default_factory=dict)

    def text(self, language: str | None = None) -> str:
        args = {
            key: value.text(language) if isinstance(value, (Message, Bilingual)) else value
            for key, value in self.args.items()
        }
        return translate(self.source, language).format_map(args)

    def __str__(self) -> str:
        return self.text()

    def __contains__(self, words: str) -> bool:
        """`"refusée" in message` searches its text in the user's language, as in a plain string."""
        return words in self.text()


@dataclass(frozen=True)
class Bilingual:
    """A text that already exists in both languages (an error's French and English, kept by the
    journal) used as a Message argument: each language takes its own."""

    fr: str
    en: str

    def text(self, language: str | None = None) -> str:
        return self.en if (language or current_language()) == "en" and self.en else self.fr

    def __str__(self) -> str:
        return self.text()

    def __contains__(self, words: str) -> bool:
        """`"refusée" in message` searches its text in the user's language, as in a plain string."""
        return words in self.text()


def M_(source: str, /, **args: object) -> Message:
    """A catalogue string with its arguments, translated where it is shown (see Message)."""
    return Message(source, dict(args))


def fr_en(message: Message) -> tuple[str, str]:
    """A message's French and English, for data that keeps both (a verdict's reasons, a warning)."""
    return message.text("fr"), message.text("en")


def text_of(value: str | Message, language: str | None = None) -> str:
    """A shown text that may be a plain string (already in its language) or a Message."""
    return value.text(language) if isinstance(value, Message) else value


def N_(message: str) -> str:
    """Mark a string for the catalogue without translating it yet (translated where shown)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural text for `n`, in the user's language."""
    if _language is None:
        configure(None)
    return _translations.ngettext(singular, plural, n)
