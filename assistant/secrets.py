"""Secrets (platform tokens, the software vault's password) in the OS keyring.

Never in files or logs. Where no keyring backend is usable (a bare CI machine, a server without a
Secret Service), secrets stay in this process's memory only and are lost at exit: the user is asked
again, which is safer than a plain file.
"""

from __future__ import annotations

import contextlib
import threading

from assistant import APP_ID

_memory: dict[str, str] = {}
_lock = threading.Lock()


def _keyring_usable() -> bool:
    try:
        import keyring
        from keyring.backends import fail, null

        # The "fail" and "null" backends accept calls and keep nothing: memory is better.
        return not isinstance(keyring.get_keyring(), fail.Keyring | null.Keyring)
    except Exception:
        return False


def set_secret(name: str, value: str) -> None:
    if _keyring_usable():
        import keyring

        try:
            keyring.set_password(APP_ID, name, value)
            return
        except Exception:  # noqa: S110 - fall back to memory, never to a file
            pass
    with _lock:
        _memory[name] = value


def get_secret(name: str) -> str | None:
    with _lock:
        if name in _memory:
            return _memory[name]
    if _keyring_usable():
        import keyring

        try:
            return keyring.get_password(APP_ID, name)
        except Exception:
            return None
    return None


def delete_secret(name: str) -> None:
    with _lock:
        _memory.pop(name, None)
    if _keyring_usable():
        import keyring

        with contextlib.suppress(Exception):  # absent is fine
            keyring.delete_password(APP_ID, name)
