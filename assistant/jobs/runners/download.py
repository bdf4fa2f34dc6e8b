"""Bulk download of encrypted plis: verified, resumable, a few files at a time.

Layout: <destination>/<consultation>/<pli>/<enveloppe>/<file>, ready for the offline decryption.
A file already verified (journal) or already on disk with the right SHA-256 is never fetched
again; partial files resume with HTTP Range; a file whose hash does not match is refused (its
partial data deleted) and fetched once more from scratch before the job reports it failed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from assistant.errors import AssistantError, CancelledError, OutputError
from assistant.i18n import M_
from assistant.jobs.context import JobContext, JobFailed
from assistant.jobs.errors import JobCode
from assistant.jobs.interaction import DownloadSummary, prepare_download_folder
from assistant.jobs.params import Consultation, DownloadParams
from assistant.jobs.results import DownloadResult, FailedItem
from assistant.jobs.runners.common import downloads_root, folder_name, load_params, platform_client
from assistant.jobs.runners.durable import DurableRecorder
from assistant.jobs.runners.growing_pool import GrowingPool
from assistant.platform.client import (
    HashMismatchError,
    OutputFailure,
    PlatformCaError,
    PlatformError,
    UntrustedPlatformError,
    part_path,
)
from assistant.progress import Count, Phase, ProgressUpdate, Unit
from assistant.settings import Settings
from assistant.transport.errors import TransportCode

log = logging.getLogger(__name__)

DEFAULT_CONNECTIONS = 4
MAX_CONNECTIONS = 16
#: Progress is merged into the job at most this often (plus once at the end of each file):
#: the engine's own throttle still costs a lock and a merge per call, thousands of them for
#: hundreds of small files.
REPORT_EVERY = 0.05


@dataclass
class Item:
    url: str
    dest: Path
    size: int
    sha256: str
    position: tuple[Count, ...]
    rel: str


def plan(consultations: tuple[Consultation, ...], root: Path) -> list[Item]:
    items: list[Item] = []
    many = len(consultations) > 1
    for c_index, consultation in enumerate(consultations, start=1):
        plis = consultation.plis
        head = (Count(Unit.CONSULTATION, c_index, len(consultations)),) if many else ()
        for p_index, pli in enumerate(plis, start=1):
            envelopes = pli.envelopes
            for e_index, envelope in enumerate(envelopes, start=1):
                files = envelope.files
                for f_index, file in enumerate(files, start=1):
                    rel = Path(consultation.id) / pli.id / envelope.id / file.name
                    position = (
                        *head,
                        Count(Unit.PLI, p_index, len(plis)),
                        Count(Unit.ENVELOPE, e_index, len(envelopes)),
                        Count(Unit.FILE, f_index, len(files)),
                    )
                    items.append(Item(file.url, root / rel, file.size, file.sha256, position, rel.as_posix()))
    seen: set[str] = set()
    for item in items:
        key = str(item.dest).casefold()  # Windows and macOS folders ignore case
        if key in seen:
            raise AssistantError(
                M_("Deux fichiers du descripteur ont le même chemin : {rel}.", rel=item.rel),
                code=JobCode.DESCRIPTOR_INVALID,
            )
        seen.add(key)
    return items


def _hash_file(path: Path) -> str:
    """Not signing.digest.hash_file: that would import cryptography and pyHanko into every download."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def destination(ctx: JobContext, params: DownloadParams, consultations: tuple[Consultation, ...]) -> Path:
    """The folder the plis go to, created and checked writable.

    The local user names it (`destination`, never accepted from a page). For a page's job the user
    is asked, as in the original assistant ("Répertoire de destination", then "Lancer le
    téléchargement"), with the folder he last chose for this platform (or the downloads folder under
    the platform's name) proposed; an unusable answer is asked again with the reason, and the same
    unusable answer twice (a headless operator cannot choose) fails the job with that reason.
    Nothing is created before the user has answered: a cancelled question leaves no folder.
    """
    if params.destination is not None:
        root = Path(params.destination).expanduser()
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                M_("Impossible de créer le dossier de destination : {strerror}.", strerror=exc.strerror),
            ) from None
        return root
    platform = ctx.platform or folder_name(urlsplit(ctx.origin).hostname or "plateforme", "plateforme")
    default = downloads_root() / folder_name(platform, "plateforme")
    folders = ctx.settings.download_folders if isinstance(ctx.settings.download_folders, dict) else {}
    remembered = folders.get(ctx.origin)
    proposed = Path(remembered) if isinstance(remembered, str) and remembered else default
    summary = DownloadSummary.of(consultations)
    error, refused = "", None
    while True:
        chosen = ctx.ask(
            functools.partial(
                ctx.interaction.choose_download_folder, ctx.job, proposed, summary, error=error, cancel=ctx.cancel
            )
        )
        if chosen is None:
            raise CancelledError()
        ctx.cancel.raise_if_cancelled()
        try:
            root = prepare_download_folder(chosen)
        except OutputError as exc:
            if refused == Path(chosen):
                raise
            refused, proposed, error = Path(chosen), Path(chosen), exc.message_fr
            continue
        break
    if str(root) != remembered and (remembered or root != default):
        _remember_folder(ctx, root)
    return root


def _remember_folder(ctx: JobContext, root: Path) -> None:
    """Keep the user's choice for this platform (proposed next time). The settings file is read
    again first, so a change made elsewhere meanwhile (an approved origin) is not written over."""
    try:
        fresh = Settings.load()
        fresh.download_folders = {
            **(fresh.download_folders if isinstance(fresh.download_folders, dict) else {}),
            ctx.origin: str(root),
        }
        fresh.save()
        ctx.settings.download_folders = {**ctx.settings.download_folders, ctx.origin: str(root)}
    except (OSError, TypeError) as exc:  # a preference not kept is no reason to fail the download
        log.warning("download folder not remembered: %s", exc)


def _concerns_every_file(error: PlatformError) -> bool:
    """A refused certificate, an unusable CA setting or a refused token: every other file of the
    platform would fail the same way, so the job stops at once with this reason."""
    return isinstance(error, UntrustedPlatformError | PlatformCaError) or error.code == TransportCode.PLATFORM_FORBIDDEN


def _vanished(root: Path, folder: Path) -> OutputError | None:
    """The error to stop with when the destination, or a folder the job writes in below it,
    disappeared while the job ran (deleted, moved, a USB key or network share gone); None when
    they are all still there (the failure was something else)."""
    below = [p for p in (*reversed(folder.parents), folder) if p == root or root in p.parents]
    missing = next((p for p in below if not p.is_dir()), None)
    if missing is None:
        return None
    return OutputError(
        M_(
            "Le dossier « {folder} » a disparu pendant le téléchargement (supprimé, déplacé ou support "
            "retiré) : le téléchargement est arrêté. Rien de ce qui a été vérifié n'est perdu : remettez le "
            "dossier en place et relancez le téléchargement, seuls les fichiers manquants seront téléchargés.",
            folder=str(missing),
        ),
        code=JobCode.DESTINATION_VANISHED,
    )


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders this job created that stayed empty (deepest first): a job refused at
    once leaves no empty consultation/pli/enveloppe tree behind. Folders that hold anything,
    a partial file kept for a resume included, stay."""
    for folder in sorted(set(folders), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):  # not empty (or already gone): kept
            folder.rmdir()


def run(ctx: JobContext, params: DownloadParams) -> DownloadResult:
    params, token = load_params(ctx, params)
    consultations = params.consultations or ()
    root = destination(ctx, params, consultations)
    items = plan(consultations, root)
    total = sum(i.size for i in items)
    lock = threading.Lock()
    counters = {"done": 0, "fetched": 0, "skipped": 0, "refetched": 0}
    element: dict[str, tuple[Count, ...]] = {"position": ()}
    last_report = [0.0]

    def advance(n: int) -> None:
        now = time.monotonic()
        with lock:
            counters["done"] += n
            done = counters["done"]
            if now - last_report[0] < REPORT_EVERY and done < total:
                ctx.cancel.raise_if_cancelled()
                return
            last_report[0] = now
        ctx.report(
            ProgressUpdate(
                step=1,
                steps=1,
                phase=Phase.DOWNLOAD_PLIS,
                bytes_done=done,
                bytes_total=max(total, 1),
                position=element["position"],
            )
        )

    # Phase 1: what is already there and verified is not fetched again.
    todo: list[Item] = []
    for item in items:
        ctx.cancel.raise_if_cancelled()
        if ctx.journal.is_verified(item.dest, item.sha256, item.size):
            counters["skipped"] += 1
            advance(item.size)
            continue
        if item.dest.exists() and item.dest.stat().st_size == item.size and _hash_file(item.dest) == item.sha256:
            ctx.journal.mark_verified(item.dest, item.sha256, item.size, item.url)
            counters["skipped"] += 1
            advance(item.size)
            continue
        todo.append(item)

    client = platform_client(ctx, token, pool_size=MAX_CONNECTIONS * 2)
    recorder = DurableRecorder(ctx)
    failures: list[tuple[Item, AssistantError]] = []
    # Stops the workers after a failure that concerns every file (disk full, a refused
    # certificate or token) without passing for the user's cancel: the job then ends failed,
    # with that reason. The user's cancel still reaches the transfers through it.
    stop = ctx.cancel.linked()

    made: set[Path] = set()
    created: list[Path] = []  # folders this job created, removed again if they stay empty

    def make_folder(folder: Path) -> None:
        """The folders between `root` and `folder`, one at a time from the top: never `root`
        itself, which the user chose (gone mid-job, it is reported, not silently made again)."""
        for parent in (*reversed(folder.parents), folder):
            if parent in made or parent == root or root not in parent.parents:
                continue
            try:
                parent.mkdir()
            except FileExistsError:
                pass
            else:
                with lock:
                    created.append(parent)
            made.add(parent)

    def fetch(item: Item) -> None:
        stop.raise_if_cancelled()
        try:
            if item.dest.parent not in made:  # once per folder, not once per file
                make_folder(item.dest.parent)
        except OSError as exc:
            if (gone := _vanished(root, item.dest.parent)) is not None:
                raise gone from None
            failures.append(
                (
                    item,
                    OutputError(M_("Dossier impossible à créer : {strerror}.", strerror=exc.strerror)),
                )
            )
            return
        with lock:
            element["position"] = item.position
        for attempt in (1, 2):
            credited = 0

            def on_bytes(n: int) -> None:
                nonlocal credited
                credited += n
                advance(n)

            try:
                stats = client.download(
                    item.url, item.dest, size=item.size, sha256=item.sha256, on_bytes=on_bytes, cancel=stop
                )
            except HashMismatchError as exc:
                advance(-credited)
                log.warning("hash mismatch on %s (attempt %d)", item.rel, attempt)
                if attempt == 2:
                    failures.append((item, exc))
                else:
                    with lock:
                        counters["refetched"] += 1
                continue
            except PlatformError as exc:
                advance(-credited)
                if _concerns_every_file(exc):
                    raise  # the next files would be refused the same way: stop the job now
                failures.append((item, exc))
                return
            except (OutputFailure, OSError) as exc:
                # Writing went wrong: a folder that vanished (the user moved or deleted it, a USB
                # key pulled out) is said in words, and so is any other local write error; both
                # stop the job (every next file would fail the same way), and what was verified
                # stays verified: the recorder still records what it finds on disk.
                if isinstance(exc, ConnectionError | TimeoutError):
                    raise
                if (gone := _vanished(root, item.dest.parent)) is not None:
                    raise gone from None
                if isinstance(exc, OSError):
                    raise OutputFailure(part_path(item.dest), exc) from None
                raise
            with lock:
                counters["fetched"] += stats.fetched
            recorder.add(item)
            advance(0)  # throttled like the bytes: a forced report per file woke every listener 500 times
            return

    fatal: BaseException | None = None
    connections = 0
    try:
        fixed = params.connections
        # Without a number from the user, the link decides: 4 connections to start, more once the
        # first files show the round trip leaves them waiting (platform.linkmeter).
        sizes = [min(i.size, client.range_threshold) for i in todo]
        mean_size = sum(sizes) / len(sizes) if sizes else 0.0
        initial = max(1, min(fixed, MAX_CONNECTIONS)) if fixed else DEFAULT_CONNECTIONS
        pool = GrowingPool(
            todo,
            fetch,
            initial=initial,
            stop=stop,
            name="download",
            wanted=(lambda: initial) if fixed else (lambda: client.meter.connections(mean_size)),
        )
        error = pool.run()
        connections = pool.peak
        if error is not None:
            if ctx.cancel.cancelled:
                raise CancelledError()
            fatal = error
    finally:
        client.close()
        recorder.close()
        _remove_empty(created)

    result = DownloadResult(
        files=len(items),
        bytes=total,
        fetched_bytes=counters["fetched"],
        already_verified=counters["skipped"],
        refetched_after_hash_mismatch=counters["refetched"],
        failed=tuple(FailedItem(item.rel, err.info()) for item, err in failures),
        folder=root.name,
        connections=connections,
        destination=str(root),
        paths=tuple(str(i.dest) for i in items),
    )
    if fatal is not None:
        if not isinstance(fatal, AssistantError) or isinstance(fatal, CancelledError):
            raise fatal
        raise JobFailed(fatal, result)
    if failures:
        first = failures[0][1]
        raise JobFailed(
            AssistantError(
                M_(
                    "{failed} fichier(s) sur {total} n'ont pas pu être téléchargés ou vérifiés ({name} : {reason})",
                    failed=len(failures),
                    total=len(items),
                    name=failures[0][0].rel,
                    reason=first.both(),
                ),
                code=first.code,
            ),
            result,
        )
    return result
