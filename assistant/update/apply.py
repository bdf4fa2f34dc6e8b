"""Install a staged release on the next start, and roll back if it does not start.

Called first thing by `assistant run` of a per-user install (cli.main), on Linux, Windows and
macOS alike: the OS-specific part is the layout's plan of renames (assistant.update.layout), carried
out through a journal (assistant.update.swap) so a crash mid-way is finished at the next start.

When `<root>/staged/pending.json` names a verified release: the trial is recorded in
`update-state.json`, the layout's install plan puts the new version in place (Linux: `current`
link; Windows: `current` file the launcher reads; macOS: the .app in ~/Applications exchanged with
the staged one), and the new version is started as a child with ASSISTANT_UPDATE_TRIAL naming a
confirmation file. The new version writes that file once its bridge is up (`confirm_started`).
- confirmed: the new version stays; the previous one is kept to roll back to, older ones are
  removed; this process waits for the child and passes on its exit status and the signals it gets;
- the child ended successfully without confirming (another assistant already runs): nothing is
  decided, the previous version goes back in place and the release stays staged for next time;
- the child exits with an error, or says nothing within START_TIMEOUT: the previous version goes
  back in place, the new one is removed and remembered as failed (never staged again), the user is
  told in French (stderr, and `assistant update status`), and the previous version starts.
- a trial that never ended (power cut, logout, a crash of this process) is run again at the next
  start, whichever version that start is: an unconfirmed version is never simply kept.
A stat or two when nothing is pending: `assistant run` stays fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from assistant.i18n import _
from assistant.update import swap
from assistant.update.layout import STATE_FILE, InstallLayout, running_layout

TRIAL_ENV = "ASSISTANT_UPDATE_TRIAL"
START_TIMEOUT = float(os.environ.get("ASSISTANT_UPDATE_START_TIMEOUT", "90"))
PENDING = "pending.json"

#: The tests' crash: called after each step of a plan (see assistant.update.swap.run_plan).
AfterStep = Callable[[int, swap.Step], None]


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
    layout.root.mkdir(parents=True, exist_ok=True)
    tmp = layout.root / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, layout.root / STATE_FILE)


def failed_versions(layout: InstallLayout) -> list[str]:
    failed = _state(layout).get("failed", [])
    return [str(v) for v in failed] if isinstance(failed, list) else []


def _confirmation(layout: InstallLayout, version: str) -> Path:
    return layout.root / f".trial-{version}"


def apply_pending_update(
    argv: Sequence[str], layout: InstallLayout | None = None, *, after_step: AfterStep | None = None
) -> int | None:
    """Apply a staged release, if any; return the exit status to end with (a version ran as this
    process's child), or None to go on starting this version."""
    if os.environ.get(TRIAL_ENV):
        return None  # we are the version on trial
    layout = layout or running_layout()
    if layout is None:
        return None
    try:
        swap.recover(layout.root, layout.version_of)  # a plan a crash interrupted is finished first
    except OSError as exc:  # a file still locked (Windows: an antivirus scan): next start; this one goes on
        print(_("Mise à jour : reprise impossible pour l'instant ({reason}).").format(reason=exc), file=sys.stderr)
        return None
    started_as = layout.current_version()
    trial = _state(layout).get("trial")
    if isinstance(trial, dict) and started_as is not None:
        new, previous = str(trial.get("version")), str(trial.get("previous"))
        if started_as == new and previous in layout.installed_versions():
            return _trial(layout, new, previous, argv, started_as, after_step)  # an unfinished trial
        _settle_interrupted(layout, new, previous, started_as)
    pending = layout.staged_dir / PENDING
    if not pending.is_file():
        return None
    try:
        version = str(json.loads(pending.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError, TypeError):
        pending.unlink(missing_ok=True)
        return None
    staged = layout.staged_bundle(version)
    pending.unlink(missing_ok=True)
    if (
        version in failed_versions(layout)
        or not layout.staged_program(version).is_file()
        or started_as is None
        or version == started_as
    ):
        swap.perform(swap.RemoveTree(str(staged)))
        return None
    for stale in layout.stale_paths(version, started_as):
        swap.perform(swap.RemoveTree(str(stale)))
    _save_state(layout, _state(layout) | {"trial": {"version": version, "previous": started_as}})
    try:
        swap.run_plan(
            layout.root, layout.install_plan(version, started_as), version_of=layout.version_of, after_step=after_step
        )
    except OSError as exc:
        if layout.current_version() == started_as:
            _give_up(layout, version, staged, exc)  # not switched (another volume, a permission): this version goes on
        else:  # switched, a later step failed: the journal finishes it and the trial runs at the next start
            print(_("Mise à jour : reprise impossible pour l'instant ({reason}).").format(reason=exc), file=sys.stderr)
        return None
    print(_("Installation de la mise à jour {version}…").format(version=version), file=sys.stderr, flush=True)
    return _trial(layout, version, started_as, argv, started_as, after_step)


def _settle_interrupted(layout: InstallLayout, new: str, previous: str, started_as: str) -> None:
    """A trial record while the previous version is in place: a crash came before the switch or
    during a rollback or an unstaging. Still staged: try again now; gone: it failed."""
    state = _without_trial(_state(layout))
    if started_as == previous:
        if layout.staged_program(new).is_file():
            (layout.staged_dir / PENDING).write_text(json.dumps({"version": new}), encoding="utf-8")
        elif new not in layout.installed_versions():
            state["failed"] = sorted({*failed_versions(layout), new})
    _save_state(layout, state)


def _give_up(layout: InstallLayout, version: str, staged: Path, exc: OSError) -> None:
    """The new version could not be put in place at all: this one goes on, the user is told why,
    and the release is dropped (not marked failed: the next check stages it again from the
    download cache, and the start after tries again, so a passing lock costs nothing)."""
    (layout.root / swap.JOURNAL).unlink(missing_ok=True)
    swap.perform(swap.RemoveTree(str(staged)))
    if version not in (layout.current_version(), None):
        swap.perform(swap.RemoveTree(str(layout.version_dir(version))))  # moved before the switch failed
    _save_state(layout, _without_trial(_state(layout)))
    message = _(
        "La mise à jour {version} n'a pas pu être installée ({reason}) : la version {current} continue ; "
        "nouvel essai au prochain démarrage."
    ).format(version=version, reason=exc.strerror or exc, current=layout.current_version())
    print(message, file=sys.stderr, flush=True)
    _record_rollback(message, "not_installed", version, str(layout.current_version()), str(exc.strerror or exc))


def _without_trial(state: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in state.items() if k != "trial"}


def _trial(
    layout: InstallLayout,
    version: str,
    previous: str,
    argv: Sequence[str],
    started_as: str,
    after_step: AfterStep | None,
) -> int | None:
    confirm = _confirmation(layout, version)
    child: subprocess.Popen[bytes] | None = None
    if confirm.exists():
        outcome = "confirmed"  # it confirmed before this process could record it: kept, started again below
    else:
        child = subprocess.Popen([str(layout.program(version)), *argv], env=os.environ | {TRIAL_ENV: str(confirm)})
        outcome = _watch(child, confirm)
    if outcome == "failed":
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        _roll_back(layout, version, previous, after_step)
        return _start_previous(layout, previous, argv, started_as)
    if outcome == "inconclusive":
        # It ended well without starting (another assistant already runs, for instance): back to
        # the previous version, the new one staged again for the next start; not a failure.
        _run_or_defer(layout, layout.unstage_plan(version, previous), previous, after_step)
        _save_state(layout, _without_trial(_state(layout)))
        (layout.staged_dir / PENDING).write_text(json.dumps({"version": version}), encoding="utf-8")
        return child.returncode if child is not None else None
    state = _without_trial(_state(layout)) | {"current": version, "previous": previous}
    _save_state(layout, state)
    confirm.unlink(missing_ok=True)
    swap.run_plan(layout.root, layout.prune_plan((version, previous)), version_of=layout.version_of)
    if child is None:
        return _follow(subprocess.Popen([str(layout.program(version)), *argv]))
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


def _roll_back(layout: InstallLayout, version: str, previous: str, after_step: AfterStep | None) -> None:
    _run_or_defer(layout, layout.rollback_plan(version, previous), previous, after_step)
    state = _without_trial(_state(layout))
    failed = sorted({*failed_versions(layout), version})
    _save_state(layout, state | {"current": previous, "failed": failed})
    message = _(
        "La mise à jour {version} n'a pas démarré : retour à la version {previous}. Elle ne sera pas réessayée."
    ).format(version=version, previous=previous)
    print(message, file=sys.stderr, flush=True)
    _record_rollback(message, "failed_start", version, previous)


def _run_or_defer(layout: InstallLayout, steps: list[swap.Step], previous: str, after_step: AfterStep | None) -> None:
    """Carry out a plan that puts `previous` back. Once it is back in place, a later step that
    fails (Windows: a file of the stopped version still locked a moment) is left in the journal
    for the next start, rather than stopping this one."""
    try:
        swap.run_plan(layout.root, steps, version_of=layout.version_of, after_step=after_step)
    except OSError as exc:
        if layout.current_version() != previous:
            raise
        print(_("Mise à jour : reprise impossible pour l'instant ({reason}).").format(reason=exc), file=sys.stderr)


def _record_rollback(message: str, kind: str, version: str, current: str, reason: str = "") -> None:
    """Tell `assistant update status` (and so the user who looks) what happened at this start,
    and keep the facts for the window, which says it once (assistant/update/notice.py)."""
    from assistant.update import notice
    from assistant.update.gate import status_path

    path = status_path()
    with contextlib.suppress(OSError, ValueError):
        data: dict[str, object] = {}
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(path.read_text(encoding="utf-8"))
        data |= {
            "state": "rolled_back",
            "message": message,
            "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    notice.record(notice.UpdateNotice(kind, version, current, reason))


def _start_previous(layout: InstallLayout, previous: str, argv: Sequence[str], started_as: str) -> int | None:
    """After a rollback: this process goes on if it is the previous version; if it is the failed
    one (a trial run again after a crash), the previous version is started in its place."""
    if started_as == previous:
        return None
    return _follow(subprocess.Popen([str(layout.program(previous)), *argv]))


def _follow(child: subprocess.Popen[bytes]) -> int:
    """Stay the process the session (or a script) knows: pass signals on, end with the child."""

    def forward(signum: int, frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    return child.wait()
