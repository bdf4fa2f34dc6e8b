"""The file operations that install or roll back a version, as a plan that survives a crash.

An update changes several things (a folder moves into place, the pointer launchers go through
switches, an old folder goes); a crash, a power cut or a logout can stop the process between two of
them. So each change is a plan of small steps, each atomic or redoable, written to a journal
(`<root>/swap-journal.json`) before the first step and removed after the last. At the next start
`recover()` finds the journal and finishes the plan (roll forward: every step knows whether it is
already done), so the install is never left half-way.

The steps are plain data (the plans are computed by assistant.update.layout, per OS) and the same
code runs everywhere; the tests run it on Linux with each OS's layout in a temporary folder, and
stop it after any step (`after_step`) to check what a crash there leaves once recovered.

- `Rename(src, dst)`: one rename (a directory move within the install; atomic). Done once src is gone.
- `Exchange(a, b, b_after)`: swap two directories in one system call (macOS `renamex_np(RENAME_SWAP)`,
  Linux `renameat2(RENAME_EXCHANGE)`), so the stable path (the .app in ~/Applications) always holds
  a complete version. Where the file system cannot (ENOTSUP), three renames through `.<b>.swap`,
  each resumed after a crash. Done when the version found at b is `b_after`.
- `SetPointer(path, value, kind)`: the `current` pointer: a symbolic link (Linux) or a one-line
  file (Windows, where links need administrator rights), written aside and renamed over the old one.
- `RemoveTree(path)`: best effort (on Windows a folder whose program still runs cannot go; the next
  prune tries again). Done when the path is gone.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

JOURNAL = "swap-journal.json"

#: The version a bundle at a path is (None when nothing complete is there): the layout's reader.
VersionOf = Callable[[Path], str | None]


@dataclass(frozen=True)
class Rename:
    src: str
    dst: str
    op: str = "rename"


@dataclass(frozen=True)
class Exchange:
    a: str
    b: str
    b_after: str
    op: str = "exchange"


@dataclass(frozen=True)
class SetPointer:
    path: str
    value: str
    #: "symlink" (Linux) or "file" (Windows).
    kind: str
    op: str = "pointer"


@dataclass(frozen=True)
class RemoveTree:
    path: str
    op: str = "remove"


Step = Rename | Exchange | SetPointer | RemoveTree
_KINDS: dict[str, type[Step]] = {"rename": Rename, "exchange": Exchange, "pointer": SetPointer, "remove": RemoveTree}


def _no_version(path: Path) -> str | None:
    return None


# -- the atomic exchange ----------------------------------------------------------------------------

_UNSUPPORTED = {errno.ENOTSUP, errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS, errno.EXDEV}


def atomic_exchange(a: Path, b: Path) -> None:
    """Swap two existing paths in one system call; OSError(ENOTSUP) where there is no such call."""
    import ctypes
    import ctypes.util

    libc_name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(libc_name, use_errno=True) if libc_name else None
    if sys.platform == "darwin" and libc is not None and hasattr(libc, "renamex_np"):
        result = libc.renamex_np(os.fsencode(a), os.fsencode(b), ctypes.c_uint(0x2))  # RENAME_SWAP
    elif sys.platform.startswith("linux") and libc is not None and hasattr(libc, "renameat2"):
        at_fdcwd = -100
        result = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), ctypes.c_uint(0x2))  # EXCHANGE
    else:
        raise OSError(errno.ENOTSUP, "no atomic exchange on this system")
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(a), None, str(b))


def swap_aside(path: Path) -> Path:
    """Where the three-rename exchange parks `path`'s old content."""
    return path.with_name(f".{path.name}.swap")


def exchange(a: Path, b: Path, *, atomic: bool = True) -> None:
    """Swap a and b; resumes an exchange by renames that a crash interrupted."""
    aside = swap_aside(b)
    if aside.exists() or aside.is_symlink():
        if not b.exists():
            os.rename(a, b)
        os.rename(aside, a)
        return
    if atomic:
        try:
            atomic_exchange(a, b)
            return
        except OSError as exc:
            if exc.errno not in _UNSUPPORTED:
                raise
    os.rename(b, aside)
    os.rename(a, b)
    os.rename(aside, a)


# -- steps ------------------------------------------------------------------------------------------


def is_done(step: Step, version_of: VersionOf = _no_version) -> bool:
    if isinstance(step, Rename):
        return not os.path.lexists(step.src)
    if isinstance(step, Exchange):
        return version_of(Path(step.b)) == step.b_after and not os.path.lexists(swap_aside(Path(step.b)))
    if isinstance(step, SetPointer):
        return read_pointer(Path(step.path), step.kind) == step.value
    return not os.path.lexists(step.path)


def read_pointer(path: Path, kind: str) -> str | None:
    try:
        if kind == "symlink":
            return os.readlink(path)
        return path.read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def set_pointer(path: Path, value: str, kind: str) -> None:
    """Write the pointer aside, then rename it over the old one (atomic on POSIX and NTFS)."""
    tmp = path.with_name(f".{path.name}.new")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    if kind == "symlink":
        tmp.symlink_to(value)
    else:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(value + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)


def perform(step: Step, *, atomic: bool = True) -> None:
    if isinstance(step, Rename):
        dst = Path(step.dst)
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(step.src, dst)
    elif isinstance(step, Exchange):
        exchange(Path(step.a), Path(step.b), atomic=atomic)
    elif isinstance(step, SetPointer):
        set_pointer(Path(step.path), step.value, step.kind)
    else:
        shutil.rmtree(step.path, ignore_errors=True)


# -- plans and their journal ----------------------------------------------------------------------


def _encode(steps: Sequence[Step]) -> str:
    return json.dumps([asdict(step) for step in steps], indent=1, ensure_ascii=False)


def _decode(text: str) -> list[Step]:
    steps: list[Step] = []
    for item in json.loads(text):
        kind = _KINDS[item.pop("op")]
        steps.append(kind(**item))
    return steps


def run_plan(
    root: Path,
    steps: Sequence[Step],
    *,
    version_of: VersionOf = _no_version,
    after_step: Callable[[int, Step], None] | None = None,
    atomic: bool = True,
) -> None:
    """Journal the plan, carry out each step not yet done, then drop the journal.

    `after_step(i, step)` is the tests' crash: raising there leaves the journal and the folders as a
    crash after step i would; `atomic=False` stands for a file system without an atomic exchange."""
    journal = root / JOURNAL
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{JOURNAL}.tmp"
    tmp.write_text(_encode(steps), encoding="utf-8")
    os.replace(tmp, journal)
    _carry_out(steps, version_of, after_step, atomic)
    journal.unlink(missing_ok=True)


def _carry_out(
    steps: Sequence[Step],
    version_of: VersionOf,
    after_step: Callable[[int, Step], None] | None,
    atomic: bool,
) -> None:
    for index, step in enumerate(steps):
        if not is_done(step, version_of):
            perform(step, atomic=atomic)
        if after_step is not None:
            after_step(index, step)


def recover(root: Path, version_of: VersionOf = _no_version) -> bool:
    """Finish a plan a crash interrupted (one stat when there is none). True if there was one."""
    journal = root / JOURNAL
    try:
        text = journal.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    try:
        steps = _decode(text)
    except (ValueError, KeyError, TypeError):
        journal.unlink(missing_ok=True)  # a journal cut short: the plan had not started
        return False
    _carry_out(steps, version_of, None, True)
    journal.unlink(missing_ok=True)
    return True
