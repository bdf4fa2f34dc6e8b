"""Writing a rendered document: the format from the suffix, the bytes published atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

from assistant.errors import Code, OutputError, UsageError
from assistant.files import write_atomic
from assistant.i18n import M_
from assistant.reports.errors import ReportCode
from assistant.reports.model import Document

FORMATS = (".pdf", ".html", ".json")


def render(document: Document, suffix: str) -> bytes:
    """`document` as the bytes of a .pdf, .html/.htm or .json file."""
    suffix = suffix.lower()
    if suffix == ".pdf":
        from assistant.reports.pdf import render_pdf

        return render_pdf(document)
    if suffix in (".html", ".htm"):
        from assistant.reports.html import render_html

        return render_html(document).encode("utf-8")
    if suffix == ".json":
        return (json.dumps(document.to_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    raise UsageError(
        M_(
            "Format de rapport inconnu « {suffix} » : choisissez .pdf, .html ou .json.",
            suffix=suffix or M_("(aucun)"),
        ),
        code=ReportCode.REPORT_FORMAT,
    )


def write_document(document: Document, path: Path) -> Path:
    """Render `document` in the format its suffix names and write it atomically."""
    return write_bytes_atomic(path, render(document, path.suffix))


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Write `data` to a temporary file beside `path`, then rename it over `path`.

    An existing report of the same name is replaced only once the new one is complete; whatever
    fails, the temporary file is removed and the old file is untouched.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        write_atomic(path, data, durable=True)
    except OSError as exc:
        if not os.access(folder, os.W_OK):  # the temporary file could not even be made there
            raise OutputError(
                M_(
                    "Impossible d'écrire le rapport dans {folder} : {reason}", folder=folder, reason=exc.strerror or exc
                ),
                code=Code.OUTPUT_NOT_WRITABLE,
            ) from exc
        raise OutputError(
            M_("Impossible d'écrire le rapport {path} : {reason}", path=path, reason=exc.strerror or exc),
        ) from exc
    return path
