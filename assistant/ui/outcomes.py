"""What a finished job produced, in a few lines the user reads (the card, the history's details).

Built from the job's typed result (assistant.jobs.results): a download's count, size and folder,
an opening's envelopes, a signature's files, a verification's verdict per signature, a bi-clé,
a decryption, a diagnostics table. Texts are in the user's language; what the lower layers word
themselves (a check's label, a verdict) is shown as they give it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.i18n import _, localized, ngettext
from assistant.jobs.results import (
    DecryptResult,
    DiagnoseResult,
    DownloadResult,
    JobResult,
    KeygenResult,
    OpenResult,
    PrepareResult,
    SignResult,
    VerifyResult,
)
from assistant.ui.widgets import fmt_size

_MARKS = {"ok": "✓", "warning": "⚠", "error": "✗", "skipped": "–"}


@dataclass(frozen=True)
class Outcome:
    """The lines to show, and the folder to offer with "Ouvrir le dossier" (local path or None)."""

    lines: tuple[str, ...]
    folder: str | None = None


def _download(result: DownloadResult) -> Outcome:
    lines = [
        ngettext("{count} fichier téléchargé ({size})", "{count} fichiers téléchargés ({size})", result.files).format(
            count=result.files, size=fmt_size(result.bytes)
        )
    ]
    if result.already_verified:
        lines.append(_("dont {count} déjà présents et vérifiés").format(count=result.already_verified))
    if result.failed:
        lines.append(
            ngettext("{count} fichier en échec", "{count} fichiers en échec", len(result.failed)).format(
                count=len(result.failed)
            )
        )
    folder = result.destination or None
    if folder or result.folder:
        lines.append(_("Dossier : {folder}").format(folder=folder or result.folder))
    return Outcome(tuple(lines), folder)


def _open(result: OpenResult) -> Outcome:
    lines = [
        ngettext("{count} enveloppe ouverte", "{count} enveloppes ouvertes", result.envelopes).format(
            count=result.envelopes
        ),
        _("{count} transmise(s) à la plateforme ({size})").format(
            count=result.uploaded, size=fmt_size(result.bytes_uploaded)
        ),
    ]
    if result.kept:
        lines.append(_("Copies déchiffrées conservées : {count}").format(count=len(result.kept)))
    return Outcome(tuple(lines))


def _sign(result: SignResult) -> Outcome:
    total = len(result.files)
    lines = [_("{signed} fichier(s) signé(s) sur {total}").format(signed=result.signed, total=total)]
    for item in result.files:
        if item.signature:
            lines.append(_("✓ {name} → {signature}").format(name=item.name, signature=item.signature))
        else:
            reason = localized(item.error.message, item.error.message_en) if item.error is not None else ""
            lines.append(_("✗ {name} : {reason}").format(name=item.name, reason=reason))
    folder = None
    if result.outputs:
        from pathlib import Path

        folder = str(Path(result.outputs[0]).parent)
    return Outcome(tuple(lines), folder)


def _signature_lines(index: int, signature: dict[str, Any]) -> list[str]:
    """A signature as the report words it (assistant.signing.verify_document): verdict and signer,
    format (or why it is not AdES), qualification as the trusted lists confirm it, what a PDF
    signature covers and whether later changes are permitted, integrity, revocation."""
    from assistant.signing.verify_document import revocation_text

    lines = [
        _("    Signature {index} : {verdict} — {signer}").format(
            index=index, verdict=signature.get("verdict", ""), signer=signature.get("signer", "")
        ),
        _("      Format : {format}").format(format=signature.get("format_label") or signature.get("format", "")),
        _("      Qualification : {qualified}").format(qualified=signature.get("qualified_label", "")),
    ]
    if signature.get("coverage"):
        lines.append(_("      Couverture : {coverage}").format(coverage=signature["coverage"]))
    if signature.get("changes_permitted") is False:
        lines.append(_("      ✗ Modifié après la signature d'une façon qu'elle interdit"))
    intact = bool(signature.get("intact")) and bool(signature.get("signature_valid"))
    lines.append(
        _("      Intégrité : {intact} — révocation : {revocation}").format(
            intact=_("oui") if intact else _("NON"),
            revocation=revocation_text(str(signature.get("revocation") or "unknown")),
        )
    )
    return lines


def _verify(result: VerifyResult) -> Outcome:
    lines = []
    for report in result.reports:
        if report.error is not None:
            lines.append(
                _("✗ {name} : {reason}").format(
                    name=report.file, reason=localized(report.error.message, report.error.message_en)
                )
            )
            continue
        signatures: list[dict[str, Any]] = list(report.report.get("signatures") or [])
        mark = "✓" if report.ok else "✗"
        lines.append(
            ngettext("{mark} {name} : {count} signature", "{mark} {name} : {count} signatures", len(signatures)).format(
                mark=mark, name=report.file, count=len(signatures)
            )
        )
        for index, signature in enumerate(signatures, start=1):
            lines.extend(_signature_lines(index, signature))
    return Outcome(tuple(lines))


def _keygen(result: KeygenResult) -> Outcome:
    lines = [
        (_("Bi-clé réutilisé : {subject}") if result.reused else _("Bi-clé créé : {subject}")).format(
            subject=result.subject
        ),
        _("Magasin : {store} — valable jusqu'au {date}").format(store=result.store_label, date=result.not_after[:10]),
    ]
    if result.uploaded:
        lines.append(_("Certificat public transmis à la plateforme."))
    english = [*result.warnings_en] if result.warnings_en else []
    for index, warning in enumerate(result.warnings):
        lines.append("⚠ " + localized(warning, english[index] if index < len(english) else ""))
    return Outcome(tuple(lines))


def _decrypt(result: DecryptResult) -> Outcome:
    lines = [_("{done} enveloppe(s) déchiffrée(s) sur {total}").format(done=result.decrypted, total=result.envelopes)]
    for failed in result.failed:
        reason = localized(failed.error.message, failed.error.message_en) if failed.error is not None else ""
        lines.append(_("✗ {name} : {reason}").format(name=failed.file, reason=reason))
    return Outcome(tuple(lines), result.out_dir or None)


def _diagnose(result: DiagnoseResult) -> Outcome:
    report = result.full_report or result.report
    lines = [str(report.get("summary", ""))]
    for check in report.get("checks") or []:
        mark = _MARKS.get(str(check.get("status")), "•")
        line = f"{mark} {check.get('label', '')} : {check.get('value', '')}"
        if check.get("status") in ("warning", "error") and check.get("remedy"):
            line += f" → {check['remedy']}"
        lines.append(line)
    return Outcome(tuple(lines))


def _prepare(result: PrepareResult) -> Outcome:
    """A page's "Préparer mon dépôt": the bid, where the deposit and its summary are, the upload
    estimate, the problems (the same words as `assistant prepare`)."""
    lines = [_("{n} fichier(s), {size}").format(n=result.files, size=fmt_size(result.total_bytes))]
    if result.destination:
        lines.append(_("Dossier à déposer : {folder}").format(folder=result.destination))
    if result.summary:
        lines.append(_("Récapitulatif : {path}").format(path=result.summary))
    if result.estimate:
        lines.append(localized(str(result.estimate.get("message", "")), str(result.estimate.get("message_en", ""))))
    if not result.problems:
        lines.append(_("✓ Aucun problème détecté."))
    else:
        lines.append(_("Problèmes détectés"))
        for problem in result.problems:
            mark = "✗" if problem.get("severity") == "error" else "!"
            lines.append(f"  {mark} " + localized(str(problem.get("message", "")), str(problem.get("message_en", ""))))
    return Outcome(tuple(lines), result.destination)


def describe(result: JobResult | None) -> Outcome:
    """The outcome of a finished job (empty for a job without a result)."""
    if isinstance(result, DownloadResult):
        return _download(result)
    if isinstance(result, OpenResult):
        return _open(result)
    if isinstance(result, SignResult):
        return _sign(result)
    if isinstance(result, VerifyResult):
        return _verify(result)
    if isinstance(result, KeygenResult):
        return _keygen(result)
    if isinstance(result, DecryptResult):
        return _decrypt(result)
    if isinstance(result, DiagnoseResult):
        return _diagnose(result)
    if isinstance(result, PrepareResult):
        return _prepare(result)
    return Outcome(())
