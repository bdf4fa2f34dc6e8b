"""Writing a file so that a reader sees the old content or the new one, never half of it.

The data goes to a temporary file in the same folder, which is renamed over the target
(os.replace is atomic on one file system); a failure removes the temporary file and leaves the
target as it was. `durable=True` also flushes the data to the disk before the rename (keys,
certificates); state rewritten often (a transfer's resume state) does without.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["write_atomic", "write_json_atomic"]


def write_atomic(path: Path, data: bytes, *, mode: int | None = None, durable: bool = False) -> None:
    """Replace `path` with `data` in one step (`mode`: the new file's permissions, e.g. 0o600)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(
    path: Path, value: Any, *, indent: int | None = None, mode: int | None = None, durable: bool = False
) -> None:
    """`value` as UTF-8 JSON (non-ASCII kept as is), written with `write_atomic`."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    write_atomic(path, text.encode("utf-8"), mode=mode, durable=durable)
