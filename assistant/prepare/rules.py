"""What a platform accepts in a deposit, as it publishes it in a job descriptor.

Platforms publish (on their help pages, and for us in the descriptor's `deposit_rules`) the
signature formats the buyer's check accepts, the file extensions they take, a size limit per file
and for the whole deposit, and the closing date and time. Names are refused by many platforms
when they are long or hold characters that break Windows paths or URLs; when a platform says
nothing we apply the limits that pass everywhere (see DEFAULT_*), so a bid prepared here does not
fail on the platform an hour before the deadline.

Everything here comes from a page as much as from the user, so it is parsed strictly: unknown
fields and wrong types are errors naming the field, and the upload-test URL obeys the same origin
rule as every job URL (`jobs.urls.UrlPolicy`, which the descriptor uses).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assistant.errors import Code
from assistant.i18n import M_
from assistant.jobs.urls import DescriptorError, UrlPolicy
from assistant.signing.formats import SignFormat

#: A file name longer than this is refused or truncated by several platforms, and once the buyer
#: unzips the pli under "C:\\Users\\…\\Consultation 2026-001\\Pli 3\\Offre\\…" Windows' 260-character
#: path limit breaks. Signature names add " - 20260101120000 - Signature 1.p7s" (35 characters).
DEFAULT_MAX_NAME_LENGTH = 100
#: Characters Windows forbids in names, plus those that platforms' upload forms or URLs mangle
#: (an apostrophe is not one of them: "Acte d'engagement.pdf" is everywhere).
DEFAULT_FORBIDDEN_CHARACTERS = '\\/:*?"<>|#%&{}~'
#: The whole set of formats French platforms accept when they publish nothing.
ALL_FORMATS = (SignFormat.PADES, SignFormat.XADES, SignFormat.CADES)


@dataclass(frozen=True)
class PlatformRules:
    """A platform's published deposit rules; the defaults are what passes everywhere."""

    platform: str = ""
    formats: tuple[SignFormat, ...] = ALL_FORMATS
    #: Accepted document extensions, lower case with the dot; empty: any.
    extensions: tuple[str, ...] = ()
    max_file_size: int | None = None
    max_total_size: int | None = None
    max_name_length: int = DEFAULT_MAX_NAME_LENGTH
    forbidden_characters: str = DEFAULT_FORBIDDEN_CHARACTERS
    deadline: dt.datetime | None = None
    #: Where a short measured upload can be sent (the platform's own endpoint).
    upload_test_url: str | None = None
    #: True when the platform published the rules (False: our defaults).
    published: bool = False

    def accepts_format(self, fmt: SignFormat) -> bool:
        return fmt in self.formats

    def accepts_extension(self, suffix: str) -> bool:
        return not self.extensions or suffix.lower() in self.extensions


def parse_rules(data: Any, policy: UrlPolicy, where: str = "deposit_rules") -> PlatformRules:
    """Validate a descriptor's `deposit_rules` object (from a page or from the user's file)."""
    if not isinstance(data, Mapping):
        raise DescriptorError(where, M_("un objet JSON est attendu."))
    known = {
        "platform",
        "signature_formats",
        "extensions",
        "max_file_size",
        "max_total_size",
        "max_name_length",
        "forbidden_characters",
        "deadline",
        "upload_test_url",
    }
    for key in data:
        if key not in known:
            raise DescriptorError(f"{where}.{key}", M_("champ inconnu."), code=Code.DESCRIPTOR_UNKNOWN_FIELD)
    values: dict[str, Any] = {"published": True}
    if "platform" in data:
        values["platform"] = _text(data["platform"], f"{where}.platform", 200)
    if "signature_formats" in data:
        values["formats"] = _formats(data["signature_formats"], f"{where}.signature_formats")
    if "extensions" in data:
        values["extensions"] = _extensions(data["extensions"], f"{where}.extensions")
    for key in ("max_file_size", "max_total_size"):
        if key in data and data[key] is not None:
            values[key] = _int(data[key], f"{where}.{key}", 1, 1 << 50)
    if "max_name_length" in data:
        values["max_name_length"] = _int(data["max_name_length"], f"{where}.max_name_length", 8, 255)
    if "forbidden_characters" in data:
        values["forbidden_characters"] = _text(data["forbidden_characters"], f"{where}.forbidden_characters", 100)
    if "deadline" in data and data["deadline"] is not None:
        values["deadline"] = parse_deadline(data["deadline"], f"{where}.deadline")
    if "upload_test_url" in data and data["upload_test_url"] is not None:
        values["upload_test_url"] = policy.check(data["upload_test_url"], f"{where}.upload_test_url")
    return PlatformRules(**values)


def parse_deadline(value: Any, where: str = "deadline") -> dt.datetime:
    """An ISO 8601 date and time with its offset ("2026-12-04T12:00:00+01:00").

    Without an offset the time would be read in the workstation's zone, which is exactly the
    mistake that makes a bidder late: it is refused.
    """
    if not isinstance(value, str):
        raise DescriptorError(where, M_("une date ISO 8601 est attendue."))
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise DescriptorError(where, M_("date ISO 8601 invalide.")) from exc
    if parsed.tzinfo is None:
        raise DescriptorError(
            where,
            M_("la date limite doit préciser son fuseau horaire (par exemple +01:00)."),
        )
    return parsed


def _text(value: Any, where: str, max_len: int) -> str:
    if not isinstance(value, str) or len(value) > max_len:
        raise DescriptorError(where, M_("du texte (court) est attendu."))
    return value


def _int(value: Any, where: str, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise DescriptorError(
            where,
            M_("un entier de {minimum} à {maximum} est attendu.", minimum=minimum, maximum=maximum),
        )
    return value


def _formats(value: Any, where: str) -> tuple[SignFormat, ...]:
    if not isinstance(value, list) or not value or len(value) > 3:
        raise DescriptorError(
            where,
            M_("une liste de formats (PAdES, CAdES, XAdES) est attendue."),
        )
    out: list[SignFormat] = []
    for index, item in enumerate(value):
        try:
            fmt = SignFormat(str(item).strip().lower())
        except ValueError:
            raise DescriptorError(
                f"{where}[{index}]",
                M_("format inconnu (PAdES, CAdES ou XAdES)."),
            ) from None
        if fmt not in out:
            out.append(fmt)
    return tuple(out)


def _extensions(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > 200:
        raise DescriptorError(where, M_("une liste d'extensions est attendue."))
    out: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not 1 <= len(item.strip(".")) <= 10 or not item.strip(".").isalnum():
            raise DescriptorError(
                f"{where}[{index}]",
                M_("extension invalide (par exemple « pdf »)."),
            )
        out.append("." + item.strip(".").lower())
    return tuple(out)


def load_rules(source: str | None, upload_test: str | None) -> PlatformRules:
    """The rules from the user's file, or from the platform's address (then the upload-test URL
    must be on that platform's origin, as in any job descriptor). `upload_test` is the user's own
    choice of test URL (command line), which replaces the rules' one."""
    import json
    from dataclasses import replace
    from pathlib import Path

    from assistant.errors import UsageError
    from assistant.jobs.model import LOCAL_ORIGIN
    from assistant.jobs.urls import origin_of_url
    from assistant.prepare.errors import PrepareCode
    from assistant.settings import Settings

    policy = UrlPolicy.for_origin(LOCAL_ORIGIN, None, loopback_http=True)
    rules = PlatformRules()
    if source is not None and source.startswith(("https://", "http://")):
        from assistant.platform.client import PlatformClient

        settings = Settings.load()
        policy.check(source, "--rules")
        client = PlatformClient(verify=settings.platform_ca_files)
        try:
            data = client.get_json(source, what=M_("règles de dépôt"))
        finally:
            client.close()
        policy = UrlPolicy.for_origin(origin_of_url(source), settings, loopback_http=True)  # same origin as the rules
        rules = parse_rules(data.get("deposit_rules", data) if isinstance(data, dict) else data, policy)
    elif source is not None:
        path = Path(source).expanduser()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(
                M_("Règles de dépôt illisibles : {path}", path=path),
                code=PrepareCode.RULES_UNREADABLE,
            ) from exc
        if isinstance(data, dict) and "deposit_rules" in data:
            data = data["deposit_rules"]
        rules = parse_rules(data, policy)
    if upload_test:
        rules = replace(rules, upload_test_url=policy.check(upload_test, "--upload-test"))
    return rules
