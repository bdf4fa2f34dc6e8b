"""Secrets survive in memory when the OS keyring keeps nothing, and are never written to a file."""

from __future__ import annotations

from pathlib import Path

from assistant import secrets


def test_secret_is_kept_in_memory_when_keyring_keeps_nothing(assistant_home: Path) -> None:
    secrets.set_secret("vault-password", "s3cr3t-value")
    assert secrets.get_secret("vault-password") == "s3cr3t-value"
    written = [p for p in assistant_home.rglob("*") if p.is_file() and b"s3cr3t-value" in p.read_bytes()]
    assert written == []
    secrets.delete_secret("vault-password")
    assert secrets.get_secret("vault-password") is None
