"""What the last start's update did wrong, told once in the window.

A rollback (the new version did not start) or a release that could not be put in place happens in
the launcher, before any window exists: `apply` prints it on stderr, which nobody sees when the
assistant starts with the session, and records it in data_dir()/update/status.json under
"rollback" with the facts (not the sentence, so that the window says it in its own language).
The window asks `pending_notice()` at start and calls `mark_seen()` once the user has it in front
of them, so the same news is not repeated at every start.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from typing import Any

from assistant.i18n import _
from assistant.update.gate import status_path

KEY = "rollback"
FAILED_START = "failed_start"
NOT_INSTALLED = "not_installed"


@dataclass(frozen=True)
class UpdateNotice:
    """One start's update trouble: which release, which version goes on, and why."""

    kind: str  # FAILED_START (rolled back, never retried) or NOT_INSTALLED (tried again next start)
    version: str
    current: str
    reason: str = ""

    @property
    def text(self) -> str:
        """The sentence in the user's language (the same words `apply` prints on stderr)."""
        if self.kind == NOT_INSTALLED:
            return _(
                "La mise à jour {version} n'a pas pu être installée ({reason}) : la version {current} continue ; "
                "nouvel essai au prochain démarrage."
            ).format(version=self.version, reason=self.reason, current=self.current)
        return _(
            "La mise à jour {version} n'a pas démarré : retour à la version {previous}. Elle ne sera pas réessayée."
        ).format(version=self.version, previous=self.current)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "version": self.version, "current": self.current, "reason": self.reason}


def _read() -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(status_path().read_text(encoding="utf-8"))
        if isinstance(data, dict):
            return data
    return {}


def _write(data: dict[str, Any]) -> None:
    path = status_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def record(notice: UpdateNotice) -> None:
    """Keep the news for the window (unseen); an older unseen one is replaced by this start's."""
    with contextlib.suppress(OSError):
        _write(_read() | {KEY: notice.to_dict() | {"seen": False}})


def pending_notice() -> UpdateNotice | None:
    """The news the user has not seen yet, or None."""
    entry = _read().get(KEY)
    if not isinstance(entry, dict) or entry.get("seen", True):
        return None
    try:
        return UpdateNotice(
            kind=str(entry["kind"]),
            version=str(entry["version"]),
            current=str(entry["current"]),
            reason=str(entry.get("reason", "")),
        )
    except KeyError:
        return None


def mark_seen() -> None:
    """The user has been told: not again at the next start."""
    data = _read()
    entry = data.get(KEY)
    if isinstance(entry, dict) and not entry.get("seen", True):
        with contextlib.suppress(OSError):
            _write(data | {KEY: entry | {"seen": True}})
