"""Fetching a job's remote input files into a private work folder, verified."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.jobs.engine import JobContext
from assistant.jobs.runners.common import load_params, platform_client
from assistant.platform.client import HashMismatchError, PlatformClient
from assistant.progress import ProgressUpdate


def work_folder(ctx: JobContext, kind: str) -> Path:
    folder = paths.cache_dir() / kind / ctx.job_id
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    return folder


@contextlib.contextmanager
def remote_files_job(
    ctx: JobContext, kind: str
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]], PlatformClient, Path | None]]:
    """(params, remote files, platform client, work folder) for a job on files a page sends, or on
    local paths (no remote files, no folder). Whatever the outcome, the client is closed and the
    work folder, which holds copies of the buyer's or company's files, is removed."""
    params, token = load_params(ctx)
    remote: list[dict[str, Any]] = params.get("files", [])
    client = platform_client(ctx, token)
    folder = work_folder(ctx, kind) if remote else None
    try:
        yield params, remote, client, folder
    finally:
        client.close()
        if folder is not None:
            remove(folder)


def fetch_inputs(ctx: JobContext, client: PlatformClient, files: list[dict[str, Any]], folder: Path, *, step: int, steps: int, label: str, span: float) -> list[Path]:
    """Download each file under its own (validated, safe) name; a wrong hash is fetched once more."""
    total = max(1, sum(int(f["size"]) for f in files))
    done = 0
    out: list[Path] = []
    for index, file in enumerate(files, start=1):
        target = folder / file["name"]
        element = f"fichier {index} sur {len(files)}"

        def on_bytes(n: int, element: str = element) -> None:
            nonlocal done
            done += n
            ctx.report(ProgressUpdate(step=step, steps=steps, label=label, bytes_done=done, bytes_total=total, element=element), fraction=span * done / total)

        try:
            client.download(file["url"], target, size=file["size"], sha256=file["sha256"], on_bytes=on_bytes, cancel=ctx.cancel)
        except HashMismatchError:
            client.download(file["url"], target, size=file["size"], sha256=file["sha256"], on_bytes=on_bytes, cancel=ctx.cancel)
        out.append(target)
    return out


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
