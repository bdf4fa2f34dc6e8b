"""Where the assistant keeps its settings, data, logs and cache.

Everything lives under platformdirs' per-user folders, unless ASSISTANT_HOME is set: then every
folder is a subfolder of it, so tests and users can run isolated instances side by side.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from assistant import APP_ID

HOME_ENV = "ASSISTANT_HOME"


def _base(kind: str) -> Path:
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home).expanduser() / kind
    import platformdirs

    getters: dict[str, Callable[..., str]] = {
        "config": platformdirs.user_config_dir,
        "data": platformdirs.user_data_dir,
        "logs": platformdirs.user_log_dir,
        "cache": platformdirs.user_cache_dir,
        "state": platformdirs.user_state_dir,
    }
    return Path(getters[kind](APP_ID, appauthor=False))


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def config_dir() -> Path:
    """Settings (settings.json, approved origins)."""
    return _ensure(_base("config"))


def data_dir() -> Path:
    """Durable data: job journal, software vault, bridge CA material."""
    return _ensure(_base("data"))


def logs_dir() -> Path:
    return _ensure(_base("logs"))


def cache_dir() -> Path:
    """Disposable data: partial downloads, temporary files."""
    return _ensure(_base("cache"))


def state_dir() -> Path:
    """Runtime state: the lock and port file of the running instance."""
    return _ensure(_base("state"))
