"""Envelopes made by the real OpenSSL, and the checks every failure test shares."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tests import pki as pki_mod

CIPHERS = ["aes-128-cbc", "aes-192-cbc", "aes-256-cbc", "aes-128-gcm", "aes-192-gcm", "aes-256-gcm", "des-ede3-cbc"]
PADDINGS = ["pkcs1", "oaep-sha1", "oaep-sha256"]
EXPECTED_NAME = {
    "aes-128-cbc": "AES-128-CBC",
    "aes-192-cbc": "AES-192-CBC",
    "aes-256-cbc": "AES-256-CBC",
    "aes-128-gcm": "AES-128-GCM",
    "aes-192-gcm": "AES-192-GCM",
    "aes-256-gcm": "AES-256-GCM",
    "des-ede3-cbc": "3DES-CBC (ancien)",
}
EXPECTED_TRANSPORT = {"pkcs1": "RSA PKCS#1 v1.5", "oaep-sha1": "RSA-OAEP SHA-1", "oaep-sha256": "RSA-OAEP SHA-256"}


def sample_data(size: int = 70_001) -> bytes:
    """Not a multiple of the block size, and not all-random so that a mix-up would show."""
    seed = hashlib.sha256(str(size).encode()).digest()
    return (seed * (size // len(seed) + 1))[:size] + os.urandom(17)


def openssl_encrypt(
    data_file: Path,
    out: Path,
    recipients: list[Path],
    *,
    cipher: str = "aes-256-cbc",
    padding: str = "pkcs1",
    form: str = "DER",
    stream: bool = False,
    tool: str = "cms",
) -> Path:
    """`openssl cms -encrypt` (or `openssl smime -encrypt`) exactly as a platform's tests would run it."""
    cmd = ["openssl", tool, "-encrypt", "-binary", "-in", str(data_file), "-out", str(out), f"-{cipher}"]
    if tool == "cms":
        cmd += ["-outform", form]
        if stream:
            cmd.append("-stream")
        for cert in recipients:
            cmd += ["-recip", str(cert)]
            if padding != "pkcs1":
                cmd += ["-keyopt", "rsa_padding_mode:oaep"]
                cmd += ["-keyopt", f"rsa_oaep_md:{padding.split('-')[1]}"]
    else:
        assert padding == "pkcs1", "openssl smime only does PKCS#1 v1.5"
        cmd += ["-outform", form]
        if stream:
            cmd.append("-stream")
        cmd += [str(c) for c in recipients]
    pki_mod.run(cmd)
    return out


@dataclass(frozen=True)
class Snapshot:
    """The envelope's bytes and the folder's listing before a failing call."""

    envelope: Path
    digest: str
    mtime: int
    listing: frozenset[str]

    @classmethod
    def take(cls, envelope: Path, out_dir: Path) -> Snapshot:
        st = envelope.stat()
        return cls(envelope, hashlib.sha256(envelope.read_bytes()).hexdigest(), st.st_mtime_ns, listing(out_dir))

    def assert_unchanged(self, out_dir: Path) -> None:
        assert hashlib.sha256(self.envelope.read_bytes()).hexdigest() == self.digest, "the envelope was modified"
        assert self.envelope.stat().st_mtime_ns == self.mtime
        assert listing(out_dir) == self.listing, f"left behind: {sorted(listing(out_dir) - self.listing)}"


def listing(folder: Path) -> frozenset[str]:
    return frozenset(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else frozenset()


def make_zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def raw_name_zip(placeholder: str, raw_name: bytes, data: bytes) -> bytes:
    """A ZIP whose member name is `raw_name` bytes WITHOUT the UTF-8 flag (as old Windows tools write).

    zipfile always sets the flag for non-ASCII names, so an ASCII placeholder of the same length
    is written and replaced in both headers (the CRC covers the data, not the name).
    """
    assert len(placeholder.encode()) == len(raw_name)
    blob = make_zip({placeholder: data})
    assert blob.count(placeholder.encode()) == 2
    return blob.replace(placeholder.encode(), raw_name)


def hostile_zip(name: str, data: bytes = b"pwned") -> bytes:
    """A ZIP with a member name zipfile would normalise away, written at the byte level."""
    placeholder = "x" * len(name.encode())
    blob = make_zip({placeholder: data}, compression=zipfile.ZIP_STORED)
    return blob.replace(placeholder.encode(), name.encode())
