"""Safe extraction of the ZIP inside a decrypted envelope.

A bid's ZIP comes from a company's workstation: its names and sizes are untrusted. Every entry is
checked before anything is written (no absolute path, no '..', no drive letter, no Windows device
name, no link, no duplicate, bounded count, total size and compression ratio), then the members
are written into a temporary folder beside the target, counting real bytes as they come out (the
sizes in the headers are claims, not facts), and the folder becomes the target only at the end.

Names: when the UTF-8 flag (bit 11) is set, the name is UTF-8. Otherwise the ZIP specification says
CP437, but French Windows tools write the OEM code page CP850 (identical to CP437 for é, è, à, ç…,
different for À, É's neighbours, Ê, Î, Ô…) and many others write UTF-8 without setting the flag:
valid UTF-8 is taken as UTF-8, anything else as CP850.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from assistant.envelopes.errors import CorruptArchiveError, UnsafeArchiveError
from assistant.errors import Code, OutputError
from assistant.i18n import M_, Bilingual, Message
from assistant.progress import CancelToken, Phase, ProgressCallback, ProgressUpdate, ignore_progress
from assistant.units import format_size

DEFAULT_MAX_TOTAL = 16 << 30  # 16 GiB of extracted data
DEFAULT_MAX_RATIO = 200  # uncompressed / compressed, per member and overall
DEFAULT_MAX_FILES = 20_000
RATIO_FLOOR = 1 << 20  # members under 1 MiB are not ratio-checked (tiny text files compress very well)
COPY_CHUNK = 1 << 20

_DEVICE = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$", re.IGNORECASE)
_FORBIDDEN_CHARS = set('<>:"|?*') | {chr(c) for c in range(32)} | {"\x7f"}


@dataclass(frozen=True)
class ZipLimits:
    max_total: int = DEFAULT_MAX_TOTAL
    max_ratio: int = DEFAULT_MAX_RATIO
    max_files: int = DEFAULT_MAX_FILES


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author meant it (see the module docstring)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:  # zipfile already decoded it otherwise
        return info.filename
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp850")


def _unsafe(name: str, why: Message) -> UnsafeArchiveError:
    return UnsafeArchiveError(
        M_("Archive refusée : l'élément « {name} » {why}. Rien n'a été extrait.", name=name, why=why)
    )


def safe_relative_path(name: str) -> PurePosixPath | None:
    """The relative path to write `name` to, None for a folder entry; raises if hostile."""
    shown = name
    name = unicodedata.normalize("NFC", name.replace("\\", "/"))
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or name.startswith("//"):
        raise _unsafe(shown, M_("a un chemin absolu"))
    is_dir = name.endswith("/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts:
        if is_dir:
            return None
        raise _unsafe(shown, M_("n'a pas de nom"))
    for part in parts:
        if part == "..":
            raise _unsafe(shown, M_("sort du dossier de destination (« .. »)"))
        if any(ch in _FORBIDDEN_CHARS for ch in part):
            raise _unsafe(shown, M_("contient un caractère interdit"))
        if _DEVICE.match(part.rstrip(" .")):
            raise _unsafe(shown, M_("porte un nom de périphérique Windows"))
        if part != part.rstrip(" ."):
            raise _unsafe(shown, M_("se termine par un point ou une espace"))
        if len(part.encode("utf-8")) > 255:
            raise _unsafe(shown, M_("a un nom trop long"))
    if is_dir:
        return None
    return PurePosixPath(*parts)


def _is_link(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return stat.S_ISLNK(mode) if mode else False


def plan_extraction(archive: zipfile.ZipFile, limits: ZipLimits) -> list[tuple[zipfile.ZipInfo, PurePosixPath | None]]:
    """Check every entry before writing anything."""
    infos = archive.infolist()
    if len(infos) > limits.max_files:
        raise UnsafeArchiveError(
            M_(
                "Archive refusée : elle contient {n_infos} éléments (maximum {max_files}).",
                n_infos=len(infos),
                max_files=limits.max_files,
            ),
        )
    plan: list[tuple[zipfile.ZipInfo, PurePosixPath | None]] = []
    seen: dict[str, str] = {}
    dirs: set[str] = set()
    total = 0
    total_compressed = 0
    for info in infos:
        name = member_name(info)
        if _is_link(info):
            raise _unsafe(name, M_("est un lien symbolique"))
        rel = safe_relative_path(name)
        if rel is None:
            plan.append((info, None))
            continue
        key = str(rel).casefold()
        if key in seen:
            raise _unsafe(name, M_("apparaît deux fois dans l'archive"))
        seen[key] = name
        for parent in rel.parents:
            if str(parent) != ".":
                dirs.add(str(parent).casefold())
        if info.flag_bits & 0x1:
            raise UnsafeArchiveError(
                M_(
                    "L'élément « {name} » de l'archive est protégé par mot de passe : ouvrez-le avec votre logiciel d'archives.",
                    name=name,
                ),
            )
        total += info.file_size
        total_compressed += info.compress_size
        if total > limits.max_total:
            raise UnsafeArchiveError(
                M_(
                    "Archive refusée : son contenu dépasse {size} une fois extrait.",
                    size=Bilingual(format_size(limits.max_total), format_size(limits.max_total, "en")),
                )
            )
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise _unsafe(name, M_("a un taux de compression anormal (bombe ZIP)"))
        plan.append((info, rel))
    clash = dirs & set(seen)
    if clash:
        name = seen[next(iter(clash))]
        raise _unsafe(name, M_("est à la fois un fichier et un dossier"))
    if total > RATIO_FLOOR and total > limits.max_ratio * max(total_compressed, 1):
        raise UnsafeArchiveError(
            M_("Archive refusée : taux de compression global anormal (bombe ZIP)."),
        )
    return plan


def safe_extract_zip(
    zip_path: Path,
    target_dir: Path,
    *,
    limits: ZipLimits | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """Extract `zip_path` into `target_dir` (which must not exist yet); returns the files written."""
    limits = limits or ZipLimits()
    target_dir = Path(target_dir)
    if target_dir.exists():
        raise OutputError(M_("Le dossier {target_dir} existe déjà.", target_dir=target_dir), code=Code.OUTPUT_EXISTS)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise CorruptArchiveError(M_("{name} n'est pas une archive ZIP lisible.", name=Path(zip_path).name)) from exc
    with archive:
        plan = plan_extraction(archive, limits)
        tmp = target_dir.parent / f".{target_dir.name}.{secrets.token_hex(4)}.part"
        try:
            tmp.mkdir(mode=0o700)
        except OSError as exc:
            raise OutputError(
                M_(
                    "Impossible de créer un dossier dans {parent} : {strerror}",
                    parent=target_dir.parent,
                    strerror=exc.strerror,
                ),
            ) from exc
        written: list[Path] = []
        try:
            total_declared = sum(i.file_size for i, rel in plan if rel is not None) or 1
            done = 0
            files = [(i, rel) for i, rel in plan if rel is not None]
            for index, (info, rel) in enumerate(files, start=1):
                assert rel is not None
                if cancel is not None:
                    cancel.raise_if_cancelled()
                progress(
                    ProgressUpdate(
                        step=index,
                        steps=len(files),
                        bytes_done=done,
                        bytes_total=total_declared,
                        phase=Phase.EXTRACT_FILE,
                        item=index,
                        items=len(files),
                        element=rel.name,
                    )
                )
                dest = tmp.joinpath(*rel.parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                done += _extract_member(archive, info, dest, limits, done)
                written.append(target_dir.joinpath(*rel.parts))
            # empty folders the archive names
            for entry, entry_rel in plan:
                if entry_rel is None:
                    name = member_name(entry).replace("\\", "/").strip("/")
                    if name:
                        checked = safe_relative_path(name)
                        if checked is not None:
                            tmp.joinpath(*checked.parts).mkdir(parents=True, exist_ok=True)
            if target_dir.exists():
                raise OutputError(
                    M_("Le dossier {target_dir} existe déjà.", target_dir=target_dir), code=Code.OUTPUT_EXISTS
                )
            os.replace(tmp, target_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    progress(ProgressUpdate(step=len(written), steps=len(written), bytes_done=done, bytes_total=total_declared))
    return written


def _extract_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, limits: ZipLimits, done_before: int
) -> int:
    name = member_name(info)
    size = 0
    try:
        with archive.open(info) as src, open(dest, "xb") as out:
            while True:
                chunk = src.read(COPY_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > info.file_size or done_before + size > limits.max_total:
                    raise _unsafe(name, M_("est plus grand que ce qu'annonce l'archive"))
                out.write(chunk)
    except zipfile.BadZipFile as exc:
        raise CorruptArchiveError(
            M_("L'élément « {name} » de l'archive est endommagé ({exc}).", name=name, exc=exc),
        ) from exc
    except (zlib.error, EOFError) as exc:
        raise CorruptArchiveError(M_("L'élément « {name} » de l'archive est endommagé.", name=name)) from exc
    except NotImplementedError as exc:
        raise CorruptArchiveError(
            M_("L'élément « {name} » utilise une méthode de compression non prise en charge.", name=name),
        ) from exc
    return size
