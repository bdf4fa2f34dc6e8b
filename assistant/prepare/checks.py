"""What would go wrong with this deposit, said before it goes wrong.

Each problem names the file, says what the platform or the buyer will do, and what to do about
it, in French first. "error": the platform refuses it or the buyer's check fails; "warning": it
may pass, but it is a known cause of rejected bids.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from assistant.keystores.names import common_name
from assistant.prepare.plan import BidPlan, PlannedFile, inner_format_for
from assistant.prepare.scan import FileKind
from assistant.signing import naming
from assistant.signing.formats import SignFormat
from assistant.units import format_size

#: A certificate that ends within this many days is flagged (renewal takes weeks: 3 at ChamberSign).
EXPIRY_WARNING_DAYS = 30
#: A PAdES signature adds this much to a PDF (certificate chain, CMS, and a stamp).
PADES_OVERHEAD = 32 << 10
#: A detached signature (CAdES .p7s, XAdES .xml) with its certificate chain.
DETACHED_SIZE = 8 << 10


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    severity: Severity
    code: str
    message_fr: str
    message_en: str
    file: str = ""  # path in the bid, "" for the whole deposit

    @property
    def message(self) -> str:
        """In the user's language (assistant.i18n), as AssistantError.message."""
        from assistant.i18n import current_language

        return self.message_en if current_language() == "en" else self.message_fr

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "file": self.file,
            "message": self.message_fr,
            "message_en": self.message_en,
        }


def deposited_names(item: PlannedFile, when: dt.datetime) -> list[str]:
    """The names that will reach the platform for this file (the document and/or its signature)."""
    name = item.file.name
    if item.format is SignFormat.PADES:
        return [naming.format_name(naming.base_name(item.file.path, item.format), when, 1, ".pdf")]
    return [name, naming.format_name(name, when, 1, item.format.extension)]


def find_problems(
    plan: BidPlan,
    *,
    certificate: x509.Certificate | None = None,
    now: dt.datetime | None = None,
) -> list[Problem]:
    """Everything wrong with the plan before signing (the certificate's checks when one is chosen)."""
    now = now or dt.datetime.now(dt.UTC)
    rules = plan.rules
    problems: list[Problem] = []
    where = f"la plateforme « {rules.platform} »" if rules.platform else "la plateforme"
    where_en = f"the platform '{rules.platform}'" if rules.platform else "the platform"
    if rules.deadline is not None and now >= rules.deadline:
        problems.append(
            Problem(
                Severity.ERROR,
                "deadline_passed",
                f"La date limite de remise ({_when(rules.deadline)}) est dépassée : la plateforme refusera le dépôt.",
                f"The deadline ({_when(rules.deadline)}) has passed: the platform will refuse the deposit.",
            )
        )
    for item in plan.files:
        problems += _file_problems(item, plan, now, where, where_en)
    problems += _duplicates(plan)
    if rules.max_total_size is not None:
        total = deposit_size(plan)
        if total > rules.max_total_size:
            problems.append(
                Problem(
                    Severity.ERROR,
                    "deposit_too_large",
                    f"Le dépôt pèse {format_size(total)} une fois signé : {where} accepte {format_size(rules.max_total_size)} au plus.",
                    f"The signed deposit weighs {format_size(total, 'en')}: {where_en} accepts {format_size(rules.max_total_size, 'en')} at most.",
                )
            )
    if certificate is not None:
        problems += certificate_problems(certificate, now, rules.deadline)
    return problems


def _file_problems(item: PlannedFile, plan: BidPlan, now: dt.datetime, where: str, where_en: str) -> list[Problem]:
    rules = plan.rules
    file = item.file
    rel = str(file.relative)
    out: list[Problem] = []

    def add(severity: Severity, code: str, fr: str, en: str) -> None:
        out.append(Problem(severity, code, fr, en, rel))

    if not rules.accepts_extension(file.path.suffix):
        add(
            Severity.ERROR,
            "extension_refused",
            f"{file.name} : {where} n'accepte pas les fichiers « {file.path.suffix or '(sans extension)'} » "
            f"(acceptés : {', '.join(e.lstrip('.') for e in rules.extensions)}).",
            f"{file.name}: {where_en} does not accept '{file.path.suffix or '(no extension)'}' files.",
        )
    if not rules.accepts_format(item.format):
        accepted = ", ".join(f.label for f in rules.formats)
        hint = (
            " Convertissez-le en PDF." if file.kind is not FileKind.PDF and rules.formats == (SignFormat.PADES,) else ""
        )
        add(
            Severity.ERROR,
            "format_refused",
            f"{file.name} : la signature {item.format.label} n'est pas acceptée par {where} (acceptées : {accepted}).{hint}",
            f"{file.name}: {item.format.label} signatures are not accepted by {where_en} (accepted: {accepted}).",
        )
    if file.pdf_problem:
        if item.format is SignFormat.PADES:
            add(
                Severity.ERROR,
                "pdf_not_signable",
                f"{file.name} : {file.pdf_problem} ; il ne peut pas être signé en PAdES. Choisissez XAdES ou CAdES, "
                "ou retirez la protection.",
                f"{file.name} cannot take a PAdES signature (password-protected or damaged): choose XAdES or CAdES.",
            )
        else:
            add(
                Severity.WARNING,
                "pdf_not_signable",
                f"{file.name} : {file.pdf_problem} ; il sera signé en {item.format.label} (signature à part) "
                "plutôt qu'en PAdES.",
                f"{file.name} is password-protected or damaged: it is signed in {item.format.label} (detached) rather than PAdES.",
            )
    if item.format is SignFormat.PADES and file.kind is not FileKind.PDF:
        add(
            Severity.ERROR,
            "not_a_pdf",
            f"{file.name} n'est pas un PDF : il ne peut pas être signé en PAdES.",
            f"{file.name} is not a PDF: it cannot be signed in PAdES.",
        )
    longest = max(deposited_names(item, now), key=len)
    if len(longest) > rules.max_name_length:
        add(
            Severity.ERROR,
            "name_too_long",
            f"{file.name} : une fois signé, le nom déposé compte {len(longest)} caractères ; {where} en accepte "
            f"{rules.max_name_length} au plus. Raccourcissez le nom du fichier d'au moins "
            f"{len(longest) - rules.max_name_length} caractères.",
            f"{file.name}: the deposited name '{longest}' has {len(longest)} characters, {where_en} accepts "
            f"{rules.max_name_length} at most. Shorten the file name by at least {len(longest) - rules.max_name_length}.",
        )
    bad = sorted({c for c in file.name if c in rules.forbidden_characters or ord(c) < 32})
    if bad:
        shown = " ".join(repr(c)[1:-1] for c in bad)
        add(
            Severity.ERROR,
            "name_characters",
            f"{file.name} : caractères refusés par les plateformes dans le nom ({shown}). Renommez le fichier.",
            f"{file.name}: characters platforms refuse in the name ({shown}). Rename the file.",
        )
    elif file.name != file.name.strip() or file.name.endswith("."):
        add(
            Severity.ERROR,
            "name_characters",
            f"« {file.name} » commence ou finit par un espace ou un point : renommez-le.",
            f"'{file.name}' starts or ends with a space or a dot: rename it.",
        )
    if rules.max_file_size is not None:
        size = file.size + (PADES_OVERHEAD if item.format is SignFormat.PADES else 0)
        if size > rules.max_file_size:
            add(
                Severity.ERROR,
                "file_too_large",
                f"{file.name} pèse {format_size(size)} : {where} accepte {format_size(rules.max_file_size)} par fichier au plus.",
                f"{file.name} weighs {format_size(size, 'en')}: {where_en} accepts {format_size(rules.max_file_size, 'en')} per file at most.",
            )
    if file.kind is FileKind.ZIP:
        if file.zip_problem:
            add(
                Severity.WARNING,
                "zip_unreadable",
                f"{file.name} : {file.zip_problem} ; les documents qu'elle contient ne pourront pas être signés un par un.",
                f"{file.name}: the archive cannot be read; the documents inside cannot be signed one by one.",
            )
        elif file.members and not item.sign_inside:
            add(
                Severity.WARNING,
                "zip_content_unsigned",
                f"{file.name} : signer l'archive ZIP ne signe pas les {len(file.members)} documents qu'elle contient. "
                "Choisissez « Signer les fichiers contenus » : chaque document sera signé, puis l'archive.",
                f"{file.name}: signing the ZIP does not sign the {len(file.members)} documents inside. "
                "Choose 'Sign the files inside': each document is signed, then the archive.",
            )
        elif item.sign_inside:
            for member in file.members:
                if not rules.accepts_format(inner_format_for(member.name, item, rules)):
                    add(
                        Severity.ERROR,
                        "format_refused",
                        f"{file.name} : {member.name} ne peut être signé que dans un format que {where} refuse.",
                        f"{file.name}: {member.name} can only be signed in a format {where_en} refuses.",
                    )
                    break
    return out


def _duplicates(plan: BidPlan) -> list[Problem]:
    """The same name in two lots: the buyer's download merges them, one hides the other."""
    by_name: dict[str, list[PlannedFile]] = defaultdict(list)
    for item in plan.files:
        by_name[item.file.name.casefold()].append(item)
    out = []
    for items in by_name.values():
        lots = {i.file.lot for i in items}
        if len(items) > 1 and len(lots) > 1:
            listed = ", ".join(str(i.file.relative) for i in items)
            out.append(
                Problem(
                    Severity.WARNING,
                    "duplicate_name",
                    f"Le nom « {items[0].file.name} » figure dans plusieurs lots ({listed}) : l'acheteur risque de les "
                    "confondre. Ajoutez le lot au nom (par exemple « Lot 1 - … »).",
                    f"The name '{items[0].file.name}' appears in several lots ({listed}): the buyer may mix them up. "
                    "Put the lot in the name.",
                    str(items[0].file.relative),
                )
            )
    return out


def deposit_size(plan: BidPlan) -> int:
    """What the signed deposit will weigh: the documents plus their signatures (an estimate)."""
    total = 0
    for item in plan.files:
        total += item.file.size + (PADES_OVERHEAD if item.format is SignFormat.PADES else DETACHED_SIZE)
        if item.sign_inside:
            total += sum(PADES_OVERHEAD if m.is_pdf else DETACHED_SIZE for m in item.file.members)
    return total


def deposited_files(plan: BidPlan) -> int:
    """How many files the company will upload (a detached signature is one more file)."""
    return sum(1 if item.format is SignFormat.PADES else 2 for item in plan.files)


def certificate_problems(cert: x509.Certificate, now: dt.datetime, deadline: dt.datetime | None) -> list[Problem]:
    from assistant.keystores.conformity import assess

    out: list[Problem] = []
    verdict = assess(cert, now=now)
    end = cert.not_valid_after_utc
    name = common_name(cert.subject)
    if now > end:
        out.append(
            Problem(
                Severity.ERROR,
                "certificate_expired",
                f"Le certificat de {name} a expiré le {end:%d/%m/%Y} : les signatures seraient refusées.",
                f"{name}'s certificate expired on {end:%d/%m/%Y}: the signatures would be refused.",
            )
        )
        return out
    if not verdict.suitable_for_procurement:
        out.append(
            Problem(
                Severity.WARNING,
                "certificate_not_qualified",
                f"Le certificat de {name} n'est pas qualifié (eIDAS) : l'acheteur peut refuser la signature "
                "(catégorie : " + verdict.label + ").",
                f"{name}'s certificate is not qualified (eIDAS): the buyer may refuse the signature ({verdict.label_en}).",
            )
        )
    if end - now < dt.timedelta(days=EXPIRY_WARNING_DAYS) or (deadline is not None and end < deadline):
        out.append(
            Problem(
                Severity.WARNING,
                "certificate_expiring",
                f"Le certificat de {name} expire le {end:%d/%m/%Y à %H:%M} UTC : "
                + ("avant la date limite de remise ; " if deadline is not None and end < deadline else "")
                + "commandez son renouvellement dès maintenant (comptez plusieurs semaines).",
                f"{name}'s certificate expires on {end:%Y-%m-%d %H:%M} UTC: order its renewal now.",
            )
        )
    return out


def _when(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%d/%m/%Y à %H:%M")
