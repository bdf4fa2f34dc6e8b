"""The verification report as a document for the procurement file (PDF/HTML), and as JSON.

One typed `VerificationReport` feeds the terminal, the window, the page's verify job (its
`to_dict`, described by docs/verification-report.schema.json) and this printable form. The
document is built from the `to_dict` form — the one thing the CLI (`assistant verify --report`),
the window's "Vérifier une signature" page and a page's verify job all hold — so the three show
the same facts in the same words. The wording follows the arrêté du 22 mars 2019 (art. 5): who
signed, the certificate's category, the format, validity and revocation at signing time, integrity.
Everything is in the user's language: the labels here, and the signing layer's own sentences
(verdict, qualification, coverage, remarks), which `to_dict` words through the same catalogue
beside their stable codes (assistant.signing.findings).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.i18n import _, current_language
from assistant.reports import Block, Document, KeyValues, Paragraph, Section, Tone, write_document
from assistant.reports.write import write_bytes_atomic
from assistant.signing.findings import packaging_label

if TYPE_CHECKING:  # the window builds the document without loading the verification engine
    from assistant.signing.verify import VerificationReport


def revocation_text(value: str) -> str:
    return {
        "good": _("non révoqué à la date de signature"),
        "revoked": _("RÉVOQUÉ"),
        "unknown": _("inconnu"),
    }.get(value, value)


def _when(value: str | dt.datetime | None) -> str:
    if isinstance(value, str):
        text = value
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            return text
    return f"{value.astimezone(dt.UTC):%d/%m/%Y %H:%M:%S} UTC" if value else "—"


def _yes(value: Any, yes: str = "", no: str = "") -> str:
    return "—" if value is None else ((yes or _("oui")) if value else (no or _("NON")))


def _text(value: Any) -> str:
    return str(value) if value else "—"


def _timestamp_text(sig: Mapping[str, Any]) -> str:
    if not sig.get("timestamp_time"):
        return _("aucun")
    return f"{_when(sig['timestamp_time'])} ({_yes(sig.get('timestamp_valid'), _('valide'), _('NON VALIDE'))})"


def archive_timestamp_text(stamp: Mapping[str, Any]) -> str:
    """One archive timestamp (B-LTA) in a line: time, validity, authority."""
    state = _("valide") if stamp.get("valid") else _("NON VALIDE")
    authority = _(", autorité : {name}").format(name=stamp["authority"]) if stamp.get("authority") else ""
    return f"{_when(stamp.get('time'))} ({state}{authority})"


def _changes_text(permitted: bool) -> str:
    if permitted:
        return _("permises (aucune modification ultérieure interdite par la signature)")
    return _("NON PERMISES : le document a été modifié d'une façon que la signature interdit")


def _problem_text(problem: Any) -> str:
    """A remark of `to_dict()` ({"code", "text"}); a plain string from an older report is shown as it is."""
    return str(problem.get("text", "")) if isinstance(problem, Mapping) else str(problem)


def signature_section(index: int, sig: Mapping[str, Any]) -> Section:
    """One signature of a `SignatureReport.to_dict()`: verdict, facts, remarks."""
    intact = bool(sig.get("intact")) and bool(sig.get("signature_valid"))
    tone = Tone.GOOD if sig.get("ok") else (Tone.BAD if not intact else Tone.WARNING)
    standard = sig.get("standard")
    rows: list[tuple[str, str]] = [
        (_("Signataire"), _text(sig.get("signer"))),
        (_("Certificat (sujet)"), _text(sig.get("signer_subject"))),
        (_("Émetteur du certificat"), _text(sig.get("issuer"))),
        (_("Numéro de série"), _text(sig.get("serial"))),
        (_("Empreinte SHA-256"), _text(sig.get("fingerprint_sha256"))),
        (_("Catégorie du certificat"), _text(sig.get("certificate_label"))),
        (_("Qualification (eIDAS)"), _text(sig.get("qualified_label"))),
        (_("Format"), _text(sig.get("format_label")) + (f" — {standard}" if standard else "")),
    ]
    if sig.get("packaging"):
        rows.append((_("Type de signature"), packaging_label(str(sig["packaging"]))))
    if sig.get("sub_filter"):
        rows.append((_("SubFilter (PDF)"), str(sig["sub_filter"])))
    if sig.get("coverage"):
        rows.append((_("Ce que couvre la signature"), str(sig["coverage"])))
    if sig.get("changes_permitted") is not None:
        rows.append((_("Modifications après la signature"), _changes_text(bool(sig["changes_permitted"]))))
    rows += [
        (_("Date de signature déclarée"), _when(sig.get("claimed_signing_time"))),
        (_("Horodatage"), _timestamp_text(sig)),
        *((_("Horodatage d'archive"), archive_timestamp_text(stamp)) for stamp in sig.get("archive_timestamps") or ()),
        (_("Intégrité du document"), _yes(intact)),
        (_("Certificat de confiance"), _yes(sig.get("trusted"))),
        (_("Certificat valide à la date de signature"), _yes(sig.get("valid_at_signing_time"))),
        (_("Révocation"), revocation_text(str(sig.get("revocation") or "unknown"))),
    ]
    blocks: list[Paragraph | KeyValues | Section] = [
        Paragraph(str(sig.get("verdict", "")), tone),
        KeyValues(tuple(rows)),
    ]
    problems: Sequence[Any] = sig.get("problems") or ()
    if problems:
        blocks.append(Section(_("Remarques"), tuple(Paragraph(_problem_text(p)) for p in problems)))
    return Section(_("Signature {index}").format(index=index), tuple(blocks))


def file_blocks(data: Mapping[str, Any], name: str) -> tuple[Block, ...]:
    """The verdict, the summary and a section per signature of one file's `to_dict()`."""
    signatures: Sequence[Mapping[str, Any]] = data.get("signatures") or ()
    summary: list[tuple[str, str]] = [(_("Fichier de signature"), name)]
    if data.get("signed_file"):
        summary.append((_("Document signé"), Path(str(data["signed_file"])).name))
    if data.get("attached_content_size") is not None:
        summary.append(
            (
                _("Document signé"),
                _("contenu dans la signature ({size} octets)").format(size=data["attached_content_size"]),
            )
        )
    summary += [(_("Nombre de signatures"), str(len(signatures))), (_("Vérifié le"), _when(data.get("verified_at")))]
    ok = bool(signatures) and all(bool(s.get("ok")) for s in signatures)
    verdict = (
        Paragraph(_("Toutes les signatures sont valides."), Tone.GOOD)
        if ok
        else Paragraph(_("Au moins une signature n'est pas valide ou n'a pas pu être validée."), Tone.BAD)
    )
    return (verdict, KeyValues(tuple(summary)), *(signature_section(i, s) for i, s in enumerate(signatures, 1)))


def _footer(version: str, when: Any) -> str:
    if not version:
        from assistant import __version__ as version
    return _("Assistant Marchés Publics {version} — rapport établi le {date}").format(version=version, date=_when(when))


def document_from_dict(data: Mapping[str, Any], name: str, version: str = "") -> Document:
    """The printable report of one file from its `VerificationReport.to_dict()` (or the job's copy of it)."""
    return Document(
        title=_("Rapport de vérification de signature"),
        subtitle=name,
        blocks=file_blocks(data, name),
        language=current_language(),
        footer=_footer(version, data.get("verified_at")),
    )


def verification_document(report: VerificationReport, version: str = "") -> Document:
    return document_from_dict(report.to_dict(), report.path.name, version)


def write_verification_report(report: VerificationReport, path: Path) -> Path:
    """`report` as FILE.pdf, FILE.html or FILE.json (the JSON is `to_dict`, see docs/verification-report.schema.json)."""
    if path.suffix.lower() == ".json":
        data = json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
        return write_bytes_atomic(path, data.encode("utf-8"))
    return write_document(verification_document(report), path)
