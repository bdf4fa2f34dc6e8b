"""The verification report the window shows and exports: the very document `assistant verify
--report` writes (assistant.signing.verify_document), built from the verification job's result —
one file gives exactly the CLI's document, several files give one section per file."""

from __future__ import annotations

from pathlib import Path

from assistant.i18n import current_language, localized
from assistant.jobs.results import FileVerification, VerifyResult
from assistant.reports.html import render_html
from assistant.reports.model import Block, Document, Paragraph, Section, Tone
from assistant.reports.write import write_document
from assistant.signing.verify_document import document_from_dict, file_blocks


def _blocks(report: FileVerification) -> tuple[Block, ...]:
    if report.error is not None:
        return (Paragraph(localized(report.error.message, report.error.message_en), Tone.BAD),)
    return file_blocks(report.report, report.file)


def verification_document(result: VerifyResult) -> Document:
    reports = result.reports
    if len(reports) == 1 and reports[0].error is None:
        return document_from_dict(reports[0].report, reports[0].file)
    done = [r for r in reports if r.error is None]
    base = document_from_dict(done[0].report if done else {}, "")
    return Document(
        title=base.title,
        blocks=tuple(Section(r.file, _blocks(r)) for r in reports),
        language=current_language(),
        footer=base.footer,
    )


def verification_html(result: VerifyResult) -> str:
    """The report as the window shows it (the HTML rendering of the same document)."""
    return render_html(verification_document(result))


def export(result: VerifyResult, path: Path) -> Path:
    """Write the report as PDF, HTML or JSON (by the file's suffix), atomically."""
    return write_document(verification_document(result), path)
