"""The minimum version: a release published with `min_version` makes older assistants refuse
remote jobs (a page's request) until they are updated; local use (the window, the CLI) goes on.

The job engine calls `check_remote_jobs_allowed()` once per remote job; the answer comes from the
last verified update check (data_dir()/update/status.json, written by assistant.update.client), so
it holds offline too. Cheap: one small file read, cached until its mtime changes.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from assistant import __version__, paths
from assistant.errors import AssistantError
from assistant.i18n import M_
from assistant.update.errors import UpdateCode
from assistant.update.versions import is_newer

STATUS_FILE = "status.json"
_lock = threading.Lock()
_cache: dict[str, tuple[float, str | None]] = {}


class UpdateRequiredError(AssistantError):
    """This assistant is older than the minimum version its publisher requires."""

    code = UpdateCode.UPDATE_REQUIRED


def status_path() -> Path:
    return paths.data_dir() / "update" / STATUS_FILE


def required_min_version() -> str | None:
    """The minimum version from the last verified update check, or None."""
    path = status_path()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    with _lock:
        cached = _cache.get(str(path))
        if cached and cached[0] == mtime:
            return cached[1]
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("min_version")
    except (OSError, ValueError, AttributeError):
        value = None
    minimum = value if isinstance(value, str) and value else None
    with _lock:
        _cache[str(path)] = (mtime, minimum)
    return minimum


def check_remote_jobs_allowed(version: str | None = None) -> None:
    """Raise UpdateRequiredError (French message) if this version is below the published minimum."""
    current = version or __version__
    minimum = required_min_version()
    if minimum is None:
        return
    try:
        too_old = is_newer(minimum, current)
    except ValueError:
        return
    if too_old:
        raise UpdateRequiredError(
            M_(
                "Cette version de l'assistant ({current}) n'est plus acceptée par les plateformes : la version {minimum} au moins est requise. Mettez l'assistant à jour (il se met à jour au prochain démarrage, ou lancez « assistant update check »).",
                current=current,
                minimum=minimum,
            ),
        )
