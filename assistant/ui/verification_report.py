"""The verification report the user exports from the window: one section per file, one table per
signature, from the verification job's typed result (the verdicts are the signing layer's)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from assistant import APP_NAME, __version__
from assistant.i18n import _, current_language, localized
from assistant.jobs.results import VerifyResult
from assistant.reports.model import Document, KeyValues, Paragraph, Section, Tone
from assistant.reports.write import write_document


def _yes_no(value: Any) -> str:
    if value is None:
        return _("non vérifié")
    return _("oui") if value else _("non")


def signature_rows(signature: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return (
        (_("Signataire"), str(signature.get("signer", ""))),
        (_("Émetteur du certificat"), str(signature.get("issuer", ""))),
        (_("Certificat"), str(signature.get("certificate_label", ""))),
        (_("Qualifié"), _yes_no(signature.get("qualified"))),
        (_("Format"), f"{signature.get('format', '')} {signature.get('level') or ''}".strip()),
        (_("Date de signature déclarée"), str(signature.get("claimed_signing_time") or "")),
        (_("Horodatage"), str(signature.get("timestamp_time") or _("aucun"))),
        (_("Intégrité du document"), _yes_no(signature.get("intact"))),
        (_("Certificat de confiance"), _yes_no(signature.get("trusted"))),
        (_("Valide à la date de signature"), _yes_no(signature.get("valid_at_signing_time"))),
        (_("Révocation"), str(signature.get("revocation", ""))),
    )


def verification_document(result: VerifyResult) -> Document:
    sections = []
    for report in result.reports:
        blocks: list[Paragraph | KeyValues | Section] = []
        if report.error is not None:
            blocks.append(Paragraph(localized(report.error.message, report.error.message_en), Tone.BAD))
        for index, signature in enumerate(report.report.get("signatures") or [], start=1):
            tone = Tone.GOOD if signature.get("ok") else Tone.BAD
            problems = tuple(Paragraph(str(p), Tone.WARNING) for p in signature.get("problems") or [])
            blocks.append(
                Section(
                    _("Signature {index} : {verdict}").format(index=index, verdict=signature.get("verdict", "")),
                    (Paragraph(str(signature.get("verdict", "")), tone), KeyValues(signature_rows(signature)), *problems),
                )
            )
        verdict = _("Toutes les signatures sont valides.") if report.ok else _("Au moins une signature n'est pas valide.")
        sections.append(Section(report.file, (Paragraph(verdict, Tone.GOOD if report.ok else Tone.BAD), *blocks)))
    now = dt.datetime.now(dt.UTC).strftime("%d/%m/%Y %H:%M UTC")
    return Document(
        title=_("Rapport de vérification de signature"),
        blocks=tuple(sections),
        language=current_language(),
        footer=_("Généré par {name} {version} le {date}").format(name=APP_NAME, version=__version__, date=now),
    )


def export(result: VerifyResult, path: Path) -> Path:
    """Write the report as PDF, HTML or JSON (by the file's suffix), atomically."""
    return write_document(verification_document(result), path)
