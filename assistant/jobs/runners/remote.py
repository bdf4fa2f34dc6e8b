"""Fetching a job's remote input files into a private work folder, verified."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from assistant import paths
from assistant.jobs.context import JobContext
from assistant.jobs.params import RemoteFile
from assistant.jobs.runners.common import platform_client
from assistant.platform.client import HashMismatchError, PlatformClient
from assistant.progress import Count, Phase, ProgressUpdate, Unit


def work_folder(ctx: JobContext, kind: str) -> Path:
    folder = paths.cache_dir() / kind / ctx.job_id
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    return folder


@contextlib.contextmanager
def remote_files_job(
    ctx: JobContext, kind: str, remote: tuple[RemoteFile, ...]
) -> Iterator[tuple[PlatformClient, Path | None]]:
    """(platform client, work folder) for a job on files a page sends (`remote`), or on local
    paths (no remote files, no folder). Whatever the outcome, the client is closed and the work
    folder, which holds copies of the buyer's or company's files, is removed."""
    client = platform_client(ctx, ctx.token)
    folder = work_folder(ctx, kind) if remote else None
    try:
        yield client, folder
    finally:
        client.close()
        if folder is not None:
            remove(folder)


def fetch_inputs(
    ctx: JobContext,
    client: PlatformClient,
    files: tuple[RemoteFile, ...],
    folder: Path,
    *,
    step: int,
    steps: int,
    phase: Phase,
    span: float,
) -> list[Path]:
    """Download each file under its own (validated, safe) name; a wrong hash is fetched once more."""
    total = max(1, sum(f.size for f in files))
    done = 0
    out: list[Path] = []
    for index, file in enumerate(files, start=1):
        target = folder / file.name
        position = (Count(Unit.FILE, index, len(files)),)

        def on_bytes(n: int, position: tuple[Count, ...] = position) -> None:
            nonlocal done
            done += n
            ctx.report(
                ProgressUpdate(
                    step=step, steps=steps, phase=phase, bytes_done=done, bytes_total=total, position=position
                ),
                fraction=span * done / total,
            )

        try:
            client.download(file.url, target, size=file.size, sha256=file.sha256, on_bytes=on_bytes, cancel=ctx.cancel)
        except HashMismatchError:
            client.download(file.url, target, size=file.size, sha256=file.sha256, on_bytes=on_bytes, cancel=ctx.cancel)
        out.append(target)
    return out


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
