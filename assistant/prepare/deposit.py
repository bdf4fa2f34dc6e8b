"""Sign a whole bid with one PIN and build the folder the company deposits.

The deposit folder mirrors the bid folder (lots, candidature, offre): a PDF signed in PAdES is
there as its signed copy ("Offre - 20261204120000 - Signature 1.pdf"); any other file is there
as itself with its detached signature beside it ("BPU.xlsx - 20261204120000 - Signature 1.xml").
A ZIP chosen for "sign the files inside" is rebuilt with every document signed the same way,
then the archive is signed. Originals are only read.

One login for the whole bid, across formats: every batch goes through `signing.batch.sign_files`
with the same credential, whose store keeps its session after the first PIN (the batches'
own early login is then a no-op).

All or nothing: the folder is built under a hidden temporary name and renamed when every file
is signed; if one fails nothing is published and the per-file errors say why.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from assistant.errors import AssistantError, Code, OutputError
from assistant.i18n import M_, _
from assistant.keystores.base import Credential
from assistant.prepare.errors import PrepareCode
from assistant.prepare.plan import BidPlan, PlannedFile, inner_format_for
from assistant.prepare.scan import FileKind
from assistant.progress import CancelToken, Phase, ProgressCallback, ProgressUpdate, ignore_progress
from assistant.signing.batch import check_certificate, sign_files
from assistant.signing.formats import SignFormat
from assistant.signing.stamp import VisibleSignature

if TYPE_CHECKING:
    from cryptography import x509


@dataclass
class SignedFile:
    """One signed document of the deposit (a ZIP's member has `inside` set to its archive)."""

    relative: str  # in the bid ("Lot 1/Offre/BPU.xlsx"), or in its archive for a member
    format: SignFormat
    signature: Path | None = None  # where it is now (the deposit folder, or the work folder for members)
    document: Path | None = None  # the detached document beside the signature (None for PAdES)
    inside: str = ""  # for a ZIP member: the archive's path in the bid
    error: AssistantError | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and self.signature is not None

    @property
    def label(self) -> str:
        return f"{self.inside} › {self.relative}" if self.inside else self.relative


@dataclass
class DepositResult:
    folder: Path | None  # None when nothing was published
    files: list[SignedFile]
    certificate: x509.Certificate

    @property
    def ok(self) -> bool:
        return self.folder is not None and all(f.ok for f in self.files)

    @property
    def failed(self) -> list[SignedFile]:
        return [f for f in self.files if not f.ok]


@dataclass
class _Task:
    fmt: SignFormat
    folder: Path  # where the outputs go
    sources: list[Path]
    items: list[SignedFile]


@dataclass
class _Zip:
    item: PlannedFile
    extracted: Path
    replaced: set[Path]  # PDFs whose PAdES copy replaces them


def default_destination(bid_root: Path) -> Path:
    """Beside the bid folder: "<bid> - dépôt signé" (never inside it: it would be scanned again)."""
    return bid_root.parent / _("{name} - dépôt signé").format(name=bid_root.name)


def sign_bid(
    plan: BidPlan,
    credential: Credential,
    destination: Path,
    *,
    visible: VisibleSignature | None = None,
    level: str = "B-B",
    tsa_url: str | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    after_signing: Callable[[list[SignedFile]], None] | None = None,
) -> DepositResult:
    """Sign every file of `plan` into `destination` (which must not exist or be empty).

    `after_signing` is called with every signed file while the work folder (and the members of
    rebuilt ZIPs) still exist: it is where the buyer's verification report is made.
    """
    destination = Path(destination).expanduser()
    _check_destination(destination, plan.bid.root)
    check_certificate(credential)
    if visible is not None:
        visible.check()
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = destination.parent / f".{destination.name}.{secrets.token_hex(4)}.part"
    staging.mkdir(mode=0o700)
    work = Path(tempfile.mkdtemp(prefix=".prepare-work-", dir=destination.parent))
    files: list[SignedFile] = []
    published: Path | None = None
    try:
        inner_tasks, zips = _inner_tasks(plan, work, files)
        top_tasks = _top_tasks(plan, staging, files)
        total = sum(len(t.sources) for t in inner_tasks + top_tasks)
        done = _run(inner_tasks, credential, visible, level, tsa_url, progress, cancel, 0, total)
        for rebuilt in zips:  # the signed members go back in their archive
            _rezip(rebuilt, staging / PurePosixPath(rebuilt.item.file.relative).as_posix())
        _run(top_tasks, credential, visible, level, tsa_url, progress, cancel, done, total)
        if all(f.ok for f in files):
            if after_signing is not None:
                after_signing(files)
            _publish(staging, destination)
            published = destination
            for f in files:
                _relocate(f, staging, destination)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if published is None:
            shutil.rmtree(staging, ignore_errors=True)
    return DepositResult(published, files, credential.certificate)


def _check_destination(destination: Path, bid_root: Path) -> None:
    root = bid_root.resolve()
    target = destination.resolve()
    if target == root or root in target.parents:
        raise OutputError(
            M_("Le dossier de dépôt ne peut pas être dans le dossier de la réponse : choisissez un autre emplacement."),
            code=PrepareCode.OUTPUT_INSIDE_SOURCE,
        )
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise OutputError(
            M_(
                "Le dossier {destination} existe déjà et n'est pas vide : rien n'a été écrit. Choisissez un autre dossier.",
                destination=destination,
            ),
            code=Code.OUTPUT_EXISTS,
        )


def _inner_tasks(plan: BidPlan, work: Path, files: list[SignedFile]) -> tuple[list[_Task], list[_Zip]]:
    from assistant.envelopes.zip_extract import safe_extract_zip

    tasks: dict[tuple[SignFormat, Path], _Task] = {}
    zips: list[_Zip] = []
    for index, item in enumerate(plan.files):
        if not (item.file.kind is FileKind.ZIP and item.sign_inside):
            continue
        extracted = work / f"zip{index}"
        written = safe_extract_zip(item.file.path, extracted)
        rebuilt = _Zip(item, extracted, set())
        zips.append(rebuilt)
        for path in written:
            member = path.relative_to(extracted).as_posix()
            fmt = inner_format_for(member, item, plan.rules)
            if fmt is SignFormat.PADES:
                rebuilt.replaced.add(path)  # its signed copy takes its place in the archive
            signed = SignedFile(member, fmt, inside=str(item.file.relative))
            files.append(signed)
            task = tasks.setdefault((fmt, path.parent), _Task(fmt, path.parent, [], []))
            task.sources.append(path)
            task.items.append(signed)
    return list(tasks.values()), zips


def _top_tasks(plan: BidPlan, staging: Path, files: list[SignedFile]) -> list[_Task]:
    tasks: dict[tuple[SignFormat, Path], _Task] = {}
    for item in plan.files:
        folder = staging.joinpath(*item.file.relative.parent.parts)
        folder.mkdir(parents=True, exist_ok=True)
        signed = SignedFile(str(item.file.relative), item.format)
        files.append(signed)
        if item.format is SignFormat.PADES:
            source = item.file.path  # the signed copy is written straight into the deposit folder
        else:
            source = folder / item.file.name
            if not (item.file.kind is FileKind.ZIP and item.sign_inside):  # a rebuilt ZIP is put there later
                shutil.copy2(item.file.path, source)
            signed.document = source
        task = tasks.setdefault((item.format, folder), _Task(item.format, folder, [], []))
        task.sources.append(source)
        task.items.append(signed)
    return list(tasks.values())


def _run(
    tasks: Sequence[_Task],
    credential: Credential,
    visible: VisibleSignature | None,
    level: str,
    tsa_url: str | None,
    progress: ProgressCallback,
    cancel: CancelToken | None,
    done: int,
    total: int,
) -> int:
    for task in tasks:
        offset = done

        def relay(update: ProgressUpdate, offset: int = offset) -> None:
            if update.bytes_total:
                return
            step = offset + (update.step or 0)
            progress(
                ProgressUpdate(
                    step=step,
                    steps=total,
                    phase=Phase.SIGN_FILE,
                    item=min(step + 1, total),
                    items=total,
                    element=update.element,
                )
            )

        batch = sign_files(
            credential,
            task.sources,
            task.fmt,
            level=level,
            tsa_url=tsa_url,
            out_dir=task.folder,
            progress=relay,
            cancel=cancel,
            visible=visible if task.fmt is SignFormat.PADES else None,
        )
        for signed, result in zip(task.items, batch.results, strict=True):
            signed.signature = result.output
            signed.error = result.error
            signed.warnings = list(result.warnings)
            if task.fmt is not SignFormat.PADES:
                signed.document = result.source
        done += len(task.sources)
        progress(ProgressUpdate(step=done, steps=total, phase=Phase.SIGN_FILE, item=done, items=total))
    return done


def _rezip(rebuilt: _Zip, target: Path) -> None:
    """The archive again, members signed: a PAdES copy replaces its PDF, detached signatures sit beside."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(rebuilt.extracted.rglob("*")):
                if path.is_file() and path not in rebuilt.replaced:
                    archive.write(path, path.relative_to(rebuilt.extracted).as_posix())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _publish(staging: Path, destination: Path) -> None:
    if destination.exists():
        destination.rmdir()  # empty (checked at the start); a non-empty one makes rmdir fail, nothing lost
    os.replace(staging, destination)
    os.chmod(destination, 0o755 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _relocate(signed: SignedFile, staging: Path, destination: Path) -> None:
    """Paths inside the staging folder now live in the published folder."""
    for attr in ("signature", "document"):
        path = getattr(signed, attr)
        if path is not None and staging in path.parents:
            setattr(signed, attr, destination / path.relative_to(staging))
