"""Is this file an archive (its contents are files of their own) or a document that happens to be
stored as a ZIP container?

Office Open XML (.docx, .xlsx, .pptx) and OpenDocument (.odt, .ods, .odp) files are ZIP files
inside, but they are one document each: signing one signs that document, and warning the user
that "the files inside stay unsigned" would be wrong and teach him to ignore the warning that
matters (a real .zip of PDFs, which the buyer's check does not see as signed documents).

The rule, shared by `assistant sign` (signing/batch.py) and "Préparer mon dépôt" (prepare/scan.py):
a file named .zip is an archive; a file with a known document-container extension is a document;
any other file is an archive when its content is a ZIP that is not a document container (an
OpenDocument `mimetype` entry, an Office `[Content_Types].xml`, an EPUB/ODF `META-INF/manifest.xml`).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

__all__ = ["DOCUMENT_CONTAINER_EXTENSIONS", "is_archive", "is_document_container"]

#: Extensions of documents stored as ZIP containers (Office Open XML, OpenDocument, and their
#: macro/template variants, EPUB, XPS).
DOCUMENT_CONTAINER_EXTENSIONS = frozenset(
    {
        ".docx",
        ".docm",
        ".dotx",
        ".dotm",
        ".xlsx",
        ".xlsm",
        ".xltx",
        ".xltm",
        ".xlsb",
        ".pptx",
        ".pptm",
        ".potx",
        ".potm",
        ".ppsx",
        ".ppsm",
        ".vsdx",
        ".odt",
        ".ods",
        ".odp",
        ".odg",
        ".odf",
        ".odc",
        ".odb",
        ".ott",
        ".ots",
        ".otp",
        ".otg",
        ".epub",
        ".xps",
        ".oxps",
    }
)

#: Entries that only document containers have at their root.
_CONTAINER_MARKERS = ("mimetype", "[Content_Types].xml", "META-INF/manifest.xml")

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive's end record


def _looks_like_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) in _ZIP_MAGIC
    except OSError:
        return False


def is_document_container(path: Path) -> bool:
    """True for an office/OpenDocument file: by its extension, else by the entries it holds."""
    if path.suffix.lower() in DOCUMENT_CONTAINER_EXTENSIONS:
        return True
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False
    return any(marker in names for marker in _CONTAINER_MARKERS)


def is_archive(path: Path) -> bool:
    """True when signing `path` would leave the files it contains unsigned (a ZIP archive)."""
    if path.suffix.lower() == ".zip":
        return True
    return _looks_like_zip(path) and not is_document_container(path)
