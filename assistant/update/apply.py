"""Install a staged release on the next start, and roll back if it does not start.

Called first thing by `assistant run` of a per-user install (cli.main). When `<root>/staged/
pending.json` names a verified release: its bundle moves to `versions/<new>`, `current` is
switched to it, and the new version is started as a child with ASSISTANT_UPDATE_TRIAL naming a
confirmation file. The new version writes that file once its bridge is up (`confirm_started`).
- confirmed: the new version stays; the previous one is kept (`versions/<old>`) to roll back to,
  older ones are removed; this process waits for the child and passes on its exit status and the
  signals it gets;
- the child ended successfully without confirming (another assistant already runs): nothing is
  decided, `current` goes back and the release stays staged for the next start;
- the child exits with an error, or says nothing within START_TIMEOUT: `current` goes back to the
  previous version, the new one is removed and remembered as failed (never staged again), the user
  is told in French, and this process goes on starting normally.
A stat of one file when nothing is pending: `assistant --version` stays fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from assistant.i18n import _
from assistant.update.layout import InstallLayout, running_layout

TRIAL_ENV = "ASSISTANT_UPDATE_TRIAL"
START_TIMEOUT = float(os.environ.get("ASSISTANT_UPDATE_START_TIMEOUT", "90"))
STATE_FILE = "update-state.json"


def confirm_started() -> None:
    """Called by the new version once it is up (bridge listening): the update is kept."""
    target = os.environ.pop(TRIAL_ENV, None)
    if target:
        with contextlib.suppress(OSError):
            Path(target).write_text("ok", encoding="utf-8")


def _state(layout: InstallLayout) -> dict[str, object]:
    try:
        data = json.loads((layout.root / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_state(layout: InstallLayout, state: dict[str, object]) -> None:
    tmp = layout.root / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    os.replace(tmp, layout.root / STATE_FILE)


def switch_current(layout: InstallLayout, version: str) -> None:
    """Point `current` at versions/<version> atomically (a new link renamed over the old)."""
    tmp = layout.root / ".current.new"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(f"versions/{version}")
    os.replace(tmp, layout.current_link)


def failed_versions(layout: InstallLayout) -> list[str]:
    failed = _state(layout).get("failed", [])
    return [str(v) for v in failed] if isinstance(failed, list) else []


def apply_pending_update(argv: Sequence[str], layout: InstallLayout | None = None) -> int | None:
    """Apply a staged release, if any; return the exit status to end with (the new version ran),
    or None to go on starting this version."""
    if os.environ.get(TRIAL_ENV):
        return None  # we are the version on trial
    layout = layout or running_layout()
    if layout is None:
        return None
    pending = layout.root / "staged" / "pending.json"
    if not pending.is_file():
        return None
    try:
        version = str(json.loads(pending.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        pending.unlink(missing_ok=True)
        return None
    staged = layout.root / "staged" / version
    previous = layout.current_version()
    pending.unlink(missing_ok=True)
    if version in failed_versions(layout) or not staged.is_dir() or previous is None or version == previous:
        shutil.rmtree(staged, ignore_errors=True)
        return None
    target = layout.version_dir(version)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staged, target)
    switch_current(layout, version)
    confirm = layout.root / f".trial-{version}"
    confirm.unlink(missing_ok=True)
    print(_("Installation de la mise à jour {version}…").format(version=version), file=sys.stderr, flush=True)
    child = subprocess.Popen([str(target / layout.executable_name), *argv], env=os.environ | {TRIAL_ENV: str(confirm)})
    outcome = _watch(child, confirm)
    if outcome == "failed":
        _roll_back(layout, version, previous, child)
        return None
    if outcome == "inconclusive":
        # It ended well without starting (another assistant already runs, for instance): back to
        # the previous version, the new one staged again for the next start; not a failure.
        switch_current(layout, previous)
        shutil.rmtree(staged, ignore_errors=True)
        os.replace(target, staged)
        pending.write_text(json.dumps({"version": version}), encoding="utf-8")
        return child.returncode
    confirm.unlink(missing_ok=True)
    state = _state(layout) | {"current": version, "previous": previous}
    _save_state(layout, state)
    for old in layout.installed_versions():
        if old not in (version, previous):
            shutil.rmtree(layout.version_dir(old), ignore_errors=True)
    return _follow(child)


def _watch(child: subprocess.Popen[bytes], confirm: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if confirm.exists():
            return "confirmed"
        code = child.poll()
        if code is not None:
            if confirm.exists():
                return "confirmed"
            return "inconclusive" if code == 0 else "failed"
        time.sleep(0.1)
    return "failed"


def _roll_back(layout: InstallLayout, version: str, previous: str, child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.kill()
        child.wait()
    switch_current(layout, previous)
    shutil.rmtree(layout.version_dir(version), ignore_errors=True)
    state = _state(layout)
    failed = [*failed_versions(layout), version]
    _save_state(layout, state | {"current": previous, "failed": sorted(set(failed))})
    print(
        _(
            "La mise à jour {version} n'a pas démarré : retour à la version {previous}. Elle ne sera pas réessayée."
        ).format(version=version, previous=previous),
        file=sys.stderr,
        flush=True,
    )


def _follow(child: subprocess.Popen[bytes]) -> int:
    """Stay the process the session (or a script) knows: pass signals on, end with the child."""

    def forward(signum: int, frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    return child.wait()
