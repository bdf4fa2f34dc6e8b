"""assistant/archives.py: which ZIP-based files are archives (contents unsigned) and which are documents."""

from __future__ import annotations

import zipfile
from pathlib import Path

from assistant.archives import is_archive, is_document_container
from assistant.prepare.scan import FileKind, scan_bid


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_documents_and_archives(tmp_path: Path) -> None:
    docx = _zip(tmp_path / "offre.docx", {"[Content_Types].xml": b"<Types/>"})
    ods = _zip(tmp_path / "prix.ODS", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})
    odt_no_ext = _zip(tmp_path / "memoire", {"mimetype": b"application/vnd.oasis.opendocument.text"})
    archive = _zip(tmp_path / "pieces.zip", {"[Content_Types].xml": b"<Types/>"})  # named .zip: an archive
    renamed = _zip(tmp_path / "pieces.bak", {"a.pdf": b"%PDF-1.7"})
    text = tmp_path / "notes.txt"
    text.write_bytes(b"PK but not a zip")
    assert [is_archive(p) for p in (docx, ods, odt_no_ext, archive, renamed, text)] == [
        False,
        False,
        False,
        True,
        True,
        False,
    ]
    assert is_document_container(docx) and is_document_container(odt_no_ext) and not is_document_container(renamed)


def test_prepare_scan_uses_the_same_rule(tmp_path: Path) -> None:
    bid = tmp_path / "bid"
    bid.mkdir()
    _zip(bid / "offre.xlsx", {"[Content_Types].xml": b"<Types/>"})
    _zip(bid / "pieces.dat", {"a.pdf": b"%PDF-1.7"})
    kinds = {f.relative.name: f.kind for f in scan_bid(bid).files}
    assert kinds == {"offre.xlsx": FileKind.OTHER, "pieces.dat": FileKind.ZIP}
