"""The verification report as a document for the procurement file (PDF/HTML), and as JSON.

One typed `VerificationReport` feeds the terminal, the window, the page's verify job (its
`to_dict`, described by docs/verification-report.schema.json) and this printable form. The
wording follows the arrêté du 22 mars 2019 (art. 5): who signed, the certificate's category,
the format, validity and revocation at signing time, integrity.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from assistant.reports import Block, Document, KeyValues, Paragraph, Section, Tone, write_document
from assistant.reports.write import write_bytes_atomic
from assistant.signing.verify import SignatureReport, VerificationReport

REVOCATION_FR = {"good": "non révoqué à la date de signature", "revoked": "RÉVOQUÉ", "unknown": "inconnu"}


def _when(value: dt.datetime | None) -> str:
    return f"{value.astimezone(dt.UTC):%d/%m/%Y %H:%M:%S} UTC" if value else "—"


def _yes(value: bool | None, yes: str = "oui", no: str = "NON") -> str:
    return "—" if value is None else (yes if value else no)


def _timestamp_text(sig: SignatureReport) -> str:
    if sig.timestamp_time is None:
        return "aucun"
    return f"{_when(sig.timestamp_time)} ({_yes(sig.timestamp_valid, 'valide', 'NON VALIDE')})"


def signature_section(index: int, sig: SignatureReport) -> Section:
    tone = Tone.GOOD if sig.ok else (Tone.BAD if not (sig.intact and sig.signature_valid) else Tone.WARNING)
    rows: list[tuple[str, str]] = [
        ("Signataire", sig.signer or "—"),
        ("Certificat (sujet)", sig.signer_subject or "—"),
        ("Émetteur du certificat", sig.issuer or "—"),
        ("Numéro de série", sig.serial or "—"),
        ("Empreinte SHA-256", sig.fingerprint_sha256 or "—"),
        ("Catégorie du certificat", sig.category_label or "—"),
        ("Qualification (eIDAS)", sig.qualified_label),
        ("Format", sig.format_label + (f" — {sig.standard}" if sig.standard else "")),
    ]
    if sig.packaging:
        rows.append(("Type de signature", sig.packaging))
    if sig.sub_filter:
        rows.append(("SubFilter (PDF)", sig.sub_filter))
    if sig.coverage:
        rows.append(("Ce que couvre la signature", sig.coverage))
    rows += [
        ("Date de signature déclarée", _when(sig.claimed_signing_time)),
        ("Horodatage", _timestamp_text(sig)),
        ("Intégrité du document", _yes(sig.intact and sig.signature_valid)),
        ("Certificat de confiance", _yes(sig.trusted)),
        ("Certificat valide à la date de signature", _yes(sig.valid_at_signing_time)),
        ("Révocation", REVOCATION_FR.get(sig.revocation, sig.revocation)),
    ]
    blocks: list[Paragraph | KeyValues | Section] = [Paragraph(sig.verdict_fr, tone), KeyValues(tuple(rows))]
    if sig.problems:
        blocks.append(Section("Remarques", tuple(Paragraph(p) for p in sig.problems)))
    return Section(f"Signature {index}", tuple(blocks))


def verification_document(report: VerificationReport, version: str = "") -> Document:
    if not version:
        from assistant import __version__ as version
    summary: list[tuple[str, str]] = [("Fichier de signature", report.path.name)]
    if report.signed_file is not None:
        summary.append(("Document signé", report.signed_file.name))
    if report.attached_content is not None:
        summary.append(("Document signé", f"contenu dans la signature ({len(report.attached_content)} octets)"))
    summary += [("Nombre de signatures", str(len(report.signatures))), ("Vérifié le", _when(report.verified_at))]
    verdict = (
        Paragraph("Toutes les signatures sont valides.", Tone.GOOD)
        if report.ok
        else Paragraph("Au moins une signature n'est pas valide ou n'a pas pu être validée.", Tone.BAD)
    )
    blocks: tuple[Block, ...] = (
        verdict,
        KeyValues(tuple(summary)),
        *(signature_section(i, s) for i, s in enumerate(report.signatures, 1)),
    )
    return Document(
        title="Rapport de vérification de signature",
        subtitle=report.path.name,
        blocks=blocks,
        footer=f"Assistant Marchés Publics {version} — rapport établi le {_when(report.verified_at)}",
    )


def write_verification_report(report: VerificationReport, path: Path) -> Path:
    """`report` as FILE.pdf, FILE.html or FILE.json (the JSON is `to_dict`, see docs/verification-report.schema.json)."""
    if path.suffix.lower() == ".json":
        data = json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
        return write_bytes_atomic(path, data.encode("utf-8"))
    return write_document(verification_document(report), path)
