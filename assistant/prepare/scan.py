"""The bid folder as the assistant sees it: every file, which lot it belongs to, what it is.

A company's bid folder is usually "Candidature/", "Offre/" or "Lot 1/", "Lot 2/" (each with
its own candidature and offre), and sometimes loose files at the top. The lot is the first
folder under the bid folder (empty for loose files). Files the user does not deposit are left
out: hidden files, Office's lock files ("~$…"), the desktop's thumbnails database, and the
signatures a previous run already made ("… - Signature 1.p7s" / ".xml").

ZIP files are opened (never extracted here) to list what they hold: signing a ZIP signs the
archive, not the documents inside, which buyers and courts have held against bidders.
"""

from __future__ import annotations

import enum
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from assistant.archives import is_archive
from assistant.errors import Code, InputFileError
from assistant.i18n import M_, Bilingual, Message
from assistant.prepare.errors import PrepareCode
from assistant.signing.naming import signature_number_in_name

_IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
_DETACHED_SIGNATURES = (".p7s", ".xml")
MAX_FILES = 5000


class FileKind(enum.StrEnum):
    PDF = "pdf"
    ZIP = "zip"
    OTHER = "other"


@dataclass(frozen=True)
class ZipMember:
    name: str  # path inside the archive, "/"-separated
    size: int
    is_pdf: bool


@dataclass(frozen=True)
class BidFile:
    path: Path
    relative: PurePosixPath  # from the bid folder
    lot: str  # first folder under the bid folder, "" for a file at the top
    size: int
    kind: FileKind
    #: ZIP only: the documents inside (folders left out); empty for other kinds.
    members: tuple[ZipMember, ...] = ()
    #: ZIP only: why its content cannot be listed or extracted (encrypted, damaged, hostile), else "".
    zip_problem: Message | Bilingual | str = ""  # "" when none
    #: PDF only: why it cannot take a PAdES signature (password-protected, damaged), else "".
    pdf_problem: Message | str = ""  # "" when none

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class BidFolder:
    root: Path
    files: tuple[BidFile, ...]

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def lots(self) -> tuple[str, ...]:
        return tuple(sorted({f.lot for f in self.files}))


def scan_bid(root: Path, *, exclude: Path | None = None) -> BidFolder:
    """List the bid's files (sorted by path); `exclude` is a folder to skip (our own output)."""
    root = Path(root).expanduser()
    if not root.exists():
        raise InputFileError(M_("Dossier introuvable : {root}", root=root), code=PrepareCode.FOLDER_NOT_FOUND)
    if not root.is_dir():
        raise InputFileError(M_("{root} n'est pas un dossier.", root=root), code=PrepareCode.NOT_A_FOLDER)
    excluded = exclude.resolve() if exclude is not None else None
    files: list[BidFile] = []
    for path in sorted(root.rglob("*")):
        if excluded is not None and (path.resolve() == excluded or excluded in path.resolve().parents):
            continue
        relative = PurePosixPath(path.relative_to(root).as_posix())
        if any(part.startswith(".") for part in relative.parts) or not path.is_file() or path.is_symlink():
            continue
        if _ignored(path.name):
            continue
        files.append(_describe(path, relative))
        if len(files) > MAX_FILES:
            raise InputFileError(
                M_(
                    "Le dossier {root} contient plus de {max_files} fichiers : choisissez le dossier de la réponse.",
                    root=root,
                    max_files=MAX_FILES,
                ),
                code=PrepareCode.TOO_MANY_FILES,
            )
    if not files:
        raise InputFileError(
            M_("Le dossier {root} ne contient aucun fichier à déposer.", root=root),
            code=Code.NO_FILES,
        )
    return BidFolder(root, tuple(files))


def _ignored(name: str) -> bool:
    lower = name.lower()
    if lower in _IGNORED_NAMES or name.startswith("~$"):
        return True
    return lower.endswith(_DETACHED_SIGNATURES) and signature_number_in_name(name) > 0


def _describe(path: Path, relative: PurePosixPath) -> BidFile:
    size = path.stat().st_size
    lot = relative.parts[0] if len(relative.parts) > 1 else ""
    kind = _kind(path)
    if kind is FileKind.PDF:
        return BidFile(path, relative, lot, size, kind, pdf_problem=pdf_problem(path))
    if kind is not FileKind.ZIP:
        return BidFile(path, relative, lot, size, kind)
    members, problem = list_zip(path)
    return BidFile(path, relative, lot, size, kind, members, problem)


def _kind(path: Path) -> FileKind:
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError:
        head = b""
    if path.suffix.lower() == ".pdf" or head.startswith(b"%PDF-"):
        return FileKind.PDF
    # .xlsx, .docx, .odt are ZIP containers too, but they are documents (assistant/archives.py).
    if is_archive(path):
        return FileKind.ZIP
    return FileKind.OTHER


def list_zip(path: Path) -> tuple[tuple[ZipMember, ...], Message | Bilingual | str]:
    """The documents inside, or why they cannot be signed one by one.

    The archive goes through the same checks as any extraction (`plan_extraction`: paths leaving
    the folder, links, zip bombs) so that "sign the files inside" is only offered when it can work.
    """
    from assistant.envelopes.zip_extract import ZipLimits, member_name, plan_extraction
    from assistant.errors import AssistantError

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if any(info.flag_bits & 0x1 for info in infos):
                return (), M_("archive protégée par un mot de passe")
            try:
                plan_extraction(archive, ZipLimits())
            except AssistantError as exc:
                return (), exc.both()
    except (zipfile.BadZipFile, OSError, EOFError):
        return (), M_("archive illisible ou endommagée")
    members = []
    for info in infos:
        if info.is_dir():
            continue
        name = member_name(info)
        members.append(ZipMember(name, info.file_size, name.lower().endswith(".pdf")))
    return tuple(members), ""


def pdf_problem(path: Path) -> Message | str:
    """Why a PDF cannot take a PAdES signature ("" when it can): the same checks as the signer."""
    from assistant.errors import AssistantError
    from assistant.signing.pades import open_pdf

    try:
        with open(path, "rb") as fh:
            open_pdf(fh, path.name)
    except AssistantError:
        return M_("PDF protégé par un mot de passe ou endommagé")
    except OSError:
        return M_("PDF illisible")
    return ""
