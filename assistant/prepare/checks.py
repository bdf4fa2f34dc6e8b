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

from assistant.i18n import M_, Bilingual, Message, fr_en, translate
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
    place = M_("la plateforme « {name} »", name=rules.platform) if rules.platform else M_("la plateforme")
    where, where_en = fr_en(place)
    if rules.deadline is not None and now >= rules.deadline:
        problems.append(
            Problem(
                Severity.ERROR,
                "deadline_passed",
                *fr_en(
                    M_(
                        "La date limite de remise ({deadline}) est dépassée : la plateforme refusera le dépôt.",
                        deadline=_when(rules.deadline),
                    )
                ),
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
                    *fr_en(
                        M_(
                            "Le dépôt pèse {total} une fois signé : {where} accepte {max_total_size} au plus.",
                            total=Bilingual(format_size(total), format_size(total, "en")),
                            where=Bilingual(where, where_en),
                            max_total_size=Bilingual(
                                format_size(rules.max_total_size), format_size(rules.max_total_size, "en")
                            ),
                        )
                    ),
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
            *fr_en(
                M_(
                    "{name} : {where} n'accepte pas les fichiers « {suffix} » (acceptés : {accepted}).",
                    name=file.name,
                    where=Bilingual(where, where_en),
                    suffix=file.path.suffix or M_("(sans extension)"),
                    accepted=", ".join(e.lstrip(".") for e in rules.extensions),
                )
            ),
        )
    if not rules.accepts_format(item.format):
        accepted = ", ".join(f.label for f in rules.formats)
        hint: Message | str = (
            M_(" Convertissez-le en PDF.")
            if file.kind is not FileKind.PDF and rules.formats == (SignFormat.PADES,)
            else ""
        )
        add(
            Severity.ERROR,
            "format_refused",
            *fr_en(
                M_(
                    "{name} : la signature {label} n'est pas acceptée par {where} (acceptées : {accepted}).{hint}",
                    name=file.name,
                    label=item.format.label,
                    where=Bilingual(where, where_en),
                    accepted=accepted,
                    hint=hint,
                )
            ),
        )
    if file.pdf_problem:
        if item.format is SignFormat.PADES:
            add(
                Severity.ERROR,
                "pdf_not_signable",
                *fr_en(
                    M_(
                        "{name} : {problem} ; il ne peut pas être signé en PAdES. Choisissez XAdES ou CAdES, ou "
                        "retirez la protection.",
                        name=file.name,
                        problem=file.pdf_problem,
                    )
                ),
            )
        else:
            add(
                Severity.WARNING,
                "pdf_not_signable",
                *fr_en(
                    M_(
                        "{name} : {problem} ; il sera signé en {label} (signature à part) plutôt qu'en PAdES.",
                        name=file.name,
                        problem=file.pdf_problem,
                        label=item.format.label,
                    )
                ),
            )
    if item.format is SignFormat.PADES and file.kind is not FileKind.PDF:
        add(
            Severity.ERROR,
            "not_a_pdf",
            *fr_en(M_("{name} n'est pas un PDF : il ne peut pas être signé en PAdES.", name=file.name)),
        )
    longest = max(deposited_names(item, now), key=len)
    if len(longest) > rules.max_name_length:
        add(
            Severity.ERROR,
            "name_too_long",
            *fr_en(
                M_(
                    "{name} : une fois signé, le nom déposé compte {length} caractères ; {where} en accepte {maximum} "
                    "au plus. Raccourcissez le nom du fichier d'au moins {excess} caractères.",
                    name=file.name,
                    length=len(longest),
                    where=Bilingual(where, where_en),
                    maximum=rules.max_name_length,
                    excess=len(longest) - rules.max_name_length,
                )
            ),
        )
    bad = sorted({c for c in file.name if c in rules.forbidden_characters or ord(c) < 32})
    if bad:
        shown = " ".join(repr(c)[1:-1] for c in bad)
        add(
            Severity.ERROR,
            "name_characters",
            *fr_en(
                M_(
                    "{name} : caractères refusés par les plateformes dans le nom ({shown}). Renommez le fichier.",
                    name=file.name,
                    shown=shown,
                )
            ),
        )
    elif file.name != file.name.strip() or file.name.endswith("."):
        add(
            Severity.ERROR,
            "name_characters",
            *fr_en(M_("« {name} » commence ou finit par un espace ou un point : renommez-le.", name=file.name)),
        )
    if rules.max_file_size is not None:
        size = file.size + (PADES_OVERHEAD if item.format is SignFormat.PADES else 0)
        if size > rules.max_file_size:
            add(
                Severity.ERROR,
                "file_too_large",
                *fr_en(
                    M_(
                        "{name} pèse {size} : {where} accepte {max_file_size} par fichier au plus.",
                        name=file.name,
                        size=Bilingual(format_size(size), format_size(size, "en")),
                        where=Bilingual(where, where_en),
                        max_file_size=Bilingual(
                            format_size(rules.max_file_size), format_size(rules.max_file_size, "en")
                        ),
                    )
                ),
            )
    if file.kind is FileKind.ZIP:
        if file.zip_problem:
            add(
                Severity.WARNING,
                "zip_unreadable",
                *fr_en(
                    M_(
                        "{name} : {problem} ; les documents qu'elle contient ne pourront pas être signés un par un.",
                        name=file.name,
                        problem=file.zip_problem,
                    )
                ),
            )
        elif file.members and not item.sign_inside:
            add(
                Severity.WARNING,
                "zip_content_unsigned",
                *fr_en(
                    M_(
                        "{name} : signer l'archive ZIP ne signe pas les {n_members} documents qu'elle contient. Choisissez « Signer les fichiers contenus » : chaque document sera signé, puis l'archive.",
                        name=file.name,
                        n_members=len(file.members),
                    )
                ),
            )
        elif item.sign_inside:
            for member in file.members:
                if not rules.accepts_format(inner_format_for(member.name, item, rules)):
                    add(
                        Severity.ERROR,
                        "format_refused",
                        *fr_en(
                            M_(
                                "{name} : {name2} ne peut être signé que dans un format que {where} refuse.",
                                name=file.name,
                                name2=member.name,
                                where=Bilingual(where, where_en),
                            )
                        ),
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
                    *fr_en(
                        M_(
                            "Le nom « {name} » figure dans plusieurs lots ({listed}) : l'acheteur risque de les confondre. Ajoutez le lot au nom (par exemple « Lot 1 - … »).",
                            name=items[0].file.name,
                            listed=listed,
                        )
                    ),
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
                *fr_en(
                    M_(
                        "Le certificat de {name} a expiré le {end:%d/%m/%Y} : les signatures seraient refusées.",
                        name=name,
                        end=end,
                    )
                ),
            )
        )
        return out
    if not verdict.suitable_for_procurement:
        out.append(
            Problem(
                Severity.WARNING,
                "certificate_not_qualified",
                *fr_en(
                    M_(
                        "Le certificat de {name} n'est pas qualifié (eIDAS) : l'acheteur peut refuser la signature "
                        "(catégorie : {category}).",
                        name=name,
                        category=Bilingual(verdict.label, verdict.label_en),
                    )
                ),
            )
        )
    if end - now < dt.timedelta(days=EXPIRY_WARNING_DAYS) or (deadline is not None and end < deadline):
        out.append(
            Problem(
                Severity.WARNING,
                "certificate_expiring",
                *fr_en(
                    M_(
                        "Le certificat de {name} expire le {end} UTC : avant la date limite de remise ; commandez son "
                        "renouvellement dès maintenant (comptez plusieurs semaines).",
                        name=name,
                        end=Bilingual(
                            end.strftime("%d/%m/%Y à %H:%M"), end.strftime(translate("%d/%m/%Y à %H:%M", "en"))
                        ),
                    )
                    if deadline is not None and end < deadline
                    else M_(
                        "Le certificat de {name} expire le {end} UTC : commandez son renouvellement dès maintenant "
                        "(comptez plusieurs semaines).",
                        name=name,
                        end=Bilingual(
                            end.strftime("%d/%m/%Y à %H:%M"), end.strftime(translate("%d/%m/%Y à %H:%M", "en"))
                        ),
                    )
                ),
            )
        )
    return out


def _when(moment: dt.datetime) -> Bilingual:
    local = moment.astimezone()
    return Bilingual(local.strftime("%d/%m/%Y à %H:%M"), local.strftime(translate("%d/%m/%Y à %H:%M", "en")))
