"""The one-page summary of a prepared deposit: what was signed, by whom, with which certificate,
and which checks passed. Built as a `reports.Document` and rendered by the shared PDF code (the
same as the verification report's), so it reads like the rest of the product's reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from assistant.i18n import _, current_language
from assistant.keystores.names import common_name
from assistant.prepare.buyer import BuyerView
from assistant.prepare.checks import Problem, Severity
from assistant.prepare.deposit import DepositResult
from assistant.prepare.estimate import UploadEstimate
from assistant.prepare.plan import BidPlan
from assistant.reports import Document, KeyValues, Paragraph, Section, Tone, write_document
from assistant.units import format_size


def summary_path(deposit_folder: Path) -> Path:
    """Beside the deposit folder, not inside it: it is for the company's records, not for the buyer."""
    return deposit_folder.parent / _("{name} - récapitulatif.pdf").format(name=deposit_folder.name)


def _organisation(subject: x509.Name) -> str:
    names = subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(names[0].value) if names else ""


def summary_document(
    plan: BidPlan,
    result: DepositResult,
    views: Sequence[BuyerView],
    problems: Sequence[Problem],
    *,
    estimate: UploadEstimate | None = None,
    when: dt.datetime | None = None,
) -> Document:
    from assistant import __version__
    from assistant.keystores.conformity import assess

    when = (when or dt.datetime.now(dt.UTC)).astimezone()
    cert = result.certificate
    verdict = assess(cert)
    accepted = sum(1 for v in views if v.ok)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    warnings = [p for p in problems if p.severity is Severity.WARNING]
    overall = (
        Paragraph(
            _(
                "Dépôt prêt : {accepted} signature(s) sur {n_views} acceptée(s) par la vérification de l'acheteur."
            ).format(accepted=accepted, n_views=len(views)),
            Tone.GOOD,
        )
        if result.ok and accepted == len(views) and not errors
        else Paragraph(
            _(
                "Dépôt à revoir : {n_errors} problème(s) bloquant(s), {accepted} signature(s) acceptée(s) sur {n_views}."
            ).format(n_errors=len(errors), accepted=accepted, n_views=len(views)),
            Tone.BAD,
        )
    )
    facts: list[tuple[str, str]] = [
        (
            "Signataire",
            common_name(cert.subject) + (f" ({_organisation(cert.subject)})" if _organisation(cert.subject) else ""),
        ),
        (
            "Certificat",
            _("émis par {common_name}, n° {serial_number:X}, valable jusqu'au {astimezone:%d/%m/%Y} — {label}").format(
                common_name=common_name(cert.issuer),
                serial_number=cert.serial_number,
                astimezone=cert.not_valid_after_utc.astimezone(),
                label=_(verdict.label),
            ),
        ),
        ("Empreinte SHA-256", cert.fingerprint(_sha256()).hex().upper()),
        (_("Dossier de la réponse"), str(plan.bid.root)),
        (_("Dossier à déposer"), str(result.folder) if result.folder else _("non créé")),
        (
            _("Fichiers signés"),
            _("{count} ({size} avant signature)").format(
                count=len(views), size=format_size(plan.bid.total_size, current_language())
            ),
        ),
    ]
    if plan.rules.deadline is not None:
        facts.append((_("Date limite de remise"), plan.rules.deadline.astimezone().strftime(_("%d/%m/%Y à %H:%M"))))
    if estimate is not None:
        facts.append(
            (
                _("Durée estimée de l'envoi"),
                _("{duration} à {rate}").format(duration=estimate.duration_text, rate=estimate.rate_text),
            )
        )
        if estimate.latest_start is not None:
            facts.append(("Commencer l'envoi avant", estimate.latest_start.astimezone().strftime("%d/%m/%Y à %H:%M")))
    rows = file_rows(views)

    codes = {p.code for p in problems}
    checks = (
        (_("certificat qualifié et valable"), not any(c.startswith("certificate") for c in codes)),
        (_("formats et extensions acceptés"), not codes & {"format_refused", "extension_refused", "not_a_pdf"}),
        (_("noms de fichiers acceptés"), not any(c.startswith("name") for c in codes)),
        (_("tailles dans les limites"), not codes & {"file_too_large", "deposit_too_large"}),
        (_("contenu des ZIP signé"), "zip_content_unsigned" not in codes),
        (_("noms uniques entre les lots"), "duplicate_name" not in codes),
        (_("signatures acceptées par la vérification de l'acheteur"), accepted == len(views)),
    )
    passed = [name for name, ok in checks if ok]
    failed = [name for name, ok in checks if not ok]
    check_blocks = [
        Paragraph(
            _("Réussis : {checks}.").format(checks=", ".join(passed) or _("aucun")),
            Tone.GOOD if not failed else Tone.NORMAL,
        )
    ]
    if failed:
        check_blocks.append(Paragraph(_("À revoir : {checks}.").format(checks=", ".join(failed)), Tone.BAD))
    blocks: list[Paragraph | KeyValues | Section] = [
        overall,
        KeyValues(tuple(facts)),
        Section(_("Fichiers signés"), (KeyValues(rows),)),
        Section("Contrôles", tuple(check_blocks)),
    ]
    if errors or warnings:
        points = [*errors, *warnings]
        shown = [
            Paragraph(p.message_fr, Tone.BAD if p.severity is Severity.ERROR else Tone.WARNING)
            for p in points[:MAX_POINTS]
        ]
        if len(points) > MAX_POINTS:
            shown.append(
                Paragraph(
                    _(
                        "… et {value} autre(s) point(s) : voir la liste complète dans l'assistant (« Préparer mon dépôt » ou assistant prepare)."
                    ).format(value=len(points) - MAX_POINTS),
                    Tone.WARNING,
                )
            )
        blocks.append(Section("Points d'attention", tuple(shown)))
    return Document(
        title=_("Récapitulatif du dépôt"),
        subtitle=f"{plan.rules.platform + ' — ' if plan.rules.platform else ''}{plan.bid.root.name}",
        blocks=tuple(blocks),
        footer=_("Assistant Marchés Publics {version} — établi le {when}").format(
            version=__version__, when=when.strftime(_("%d/%m/%Y à %H:%M"))
        ),
    )


#: Beyond this many signatures the summary counts them per lot and format (one page), naming only
#: those the buyer's check would refuse; every file keeps its own verification report.
MAX_LISTED = 22
#: The problems shown on the page (errors first); the rest is counted.
MAX_POINTS = 5


def file_rows(views: Sequence[BuyerView]) -> tuple[tuple[str, str], ...]:
    if len(views) <= MAX_LISTED:
        return tuple((f"{v.format.label} — {'acceptée' if v.ok else 'REFUSÉE'}", v.label) for v in views)
    counts: dict[tuple[str, str], list[int]] = {}
    for view in views:
        lot = view.label.split("/", 1)[0] if "/" in view.label else "—"
        entry = counts.setdefault((lot, view.format.label), [0, 0])
        entry[0 if view.ok else 1] += 1
    rows = [
        (
            _("{fmt} — {ok} acceptée(s)").format(fmt=fmt, ok=ok)
            + (_(", {refused} REFUSÉE(S)").format(refused=refused) if refused else ""),
            lot,
        )
        for (lot, fmt), (ok, refused) in sorted(counts.items())
    ]
    rows += [(_("{label} — REFUSÉE").format(label=v.format.label), v.label) for v in views if not v.ok]
    rows.append((_("Détail"), _("un rapport de vérification par fichier, à côté du dossier à déposer")))
    return tuple(rows)


def _sha256() -> hashes.HashAlgorithm:
    return hashes.SHA256()


def write_summary(document: Document, path: Path) -> Path:
    return write_document(document, path)
