"""The bridge serves only the user who runs it: per-page access keys, and how a page gets one.

The Origin header binds browsers only: any local process, another Unix user's included, can send
`Origin: https://plateforme.example`. So every call but `GET /v1/status` (and the connection steps
below) must carry `Authorization: Bearer <access key>`, a secret of 256 bits that only a page the
user connected holds. Threat model and flow: docs/bridge.md, "Who may call the bridge".

Connecting a page (once per browser profile and platform):

1. the page sends `POST /v1/access`; the bridge opens a *claim* (a random id, returned to the
   page) and shows the user, in the assistant, the page's origin and a 6-digit code;
2. the user clicks "Autoriser" and types the code into the page; the page sends
   `POST /v1/access/{claim}` `{"code": "…"}`;
3. with the right code (3 tries), the right origin, within 3 minutes and after the user's yes,
   the bridge answers the key once; the page stores it.

Another local user can open a claim (forging the Origin) but never sees the code: it is shown in
the victim's session only. The code is typed by the user into the page, never sent to it.

The bridge proves its identity to a page before the page sends its key (a process squatting the
bridge's port must not collect keys): `GET /v1/status?key=<id>&nonce=<n>` answers
`proof = HMAC-SHA256(SHA-256(key), "amp-bridge-proof\\n" origin "\\n" port "\\n" nonce "\\n" CA
fingerprint)`. Only a holder of the key's hash can compute it, and the port in it stops a squatter
from relaying the real bridge's proof (the real bridge signs only the port it listens on).

Keys are stored hashed (SHA-256) in `<data>/bridge/access.json` (0600): the file lets nobody
present a key. Withdrawing an origin's approval deletes its keys.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant import paths

log = logging.getLogger(__name__)

ACCESS_FILE = "access.json"
#: `amp1_<key id: 16 hex>_<secret: 43 base64url characters>`
KEY_PATTERN = re.compile(r"^amp1_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$")
CLAIM_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22}$")
NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
#: Keys kept per origin (one per browser profile; the oldest goes first).
KEYS_PER_ORIGIN = 20
CLAIM_SECONDS = 180.0
CODE_TRIES = 3
MAX_CLAIMS = 32
PROOF_LABEL = "amp-bridge-proof"


def key_id_of(key: str) -> str | None:
    match = KEY_PATTERN.match(key)
    return match.group(1) if match else None


def proof_for(key_hash: bytes, origin: str, port: int, nonce: str, fingerprint: str) -> str:
    """What the bridge answers to a nonce; the JS client computes the same with WebCrypto."""
    message = f"{PROOF_LABEL}\n{origin}\n{port}\n{nonce}\n{fingerprint}".encode()
    return hmac.new(key_hash, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AccessKey:
    key_id: str
    origin: str
    sha256: str
    created: str


class AccessStore:
    """The hashes of the keys handed to pages, per origin. File-backed so that `assistant origins
    remove` in another process withdraws keys from a running bridge; thread-safe."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._keys: dict[str, AccessKey] = {}
        self._mtime: int | None = -1

    def _file(self) -> Path:
        if self._path is not None:
            return self._path
        folder = paths.data_dir() / "bridge"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return folder / ACCESS_FILE

    def _stat(self) -> int | None:
        try:
            return self._file().stat().st_mtime_ns
        except OSError:
            return None

    def _load(self) -> None:
        mtime = self._stat()
        if mtime == self._mtime:
            return
        keys: dict[str, AccessKey] = {}
        try:
            raw = json.loads(self._file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raw = []
        for item in raw if isinstance(raw, list) else []:
            with contextlib.suppress(TypeError, ValueError):
                key = AccessKey(**item)
                keys[key.key_id] = key
        self._keys = keys
        self._mtime = mtime

    def _save(self) -> None:
        target = self._file()
        fd, tmp = tempfile.mkstemp(prefix=".access-", dir=target.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump([asdict(k) for k in self._keys.values()], fh, indent=1)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._mtime = self._stat()

    def issue(self, origin: str) -> str:
        """A new key for `origin` (shown once: only its hash is kept)."""
        key_id = secrets.token_hex(8)
        key = f"amp1_{key_id}_{secrets.token_urlsafe(32)}"
        record = AccessKey(
            key_id=key_id,
            origin=origin,
            sha256=hashlib.sha256(key.encode()).hexdigest(),
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        with self._lock:
            self._load()
            mine = sorted((k for k in self._keys.values() if k.origin == origin), key=lambda k: k.created)
            for old in mine[: max(0, len(mine) - KEYS_PER_ORIGIN + 1)]:
                self._keys.pop(old.key_id, None)
            self._keys[key_id] = record
            self._save()
        return key

    def _record(self, origin: str, key_id: str) -> AccessKey | None:
        with self._lock:
            self._load()
            record = self._keys.get(key_id)
        return record if record is not None and record.origin == origin else None

    def verify(self, origin: str, key: str | None) -> bool:
        """True when `key` was handed to `origin` (constant-time comparison of the hashes)."""
        key_id = key_id_of(key) if key else None
        record = self._record(origin, key_id) if key_id else None
        if record is None or key is None:
            return False
        return hmac.compare_digest(record.sha256, hashlib.sha256(key.encode()).hexdigest())

    def proof(self, origin: str, key_id: str, port: int, nonce: str, fingerprint: str) -> str | None:
        record = self._record(origin, key_id)
        if record is None:
            return None
        return proof_for(bytes.fromhex(record.sha256), origin, port, nonce, fingerprint)

    def forget_origin(self, origin: str) -> int:
        """Withdraw every key of `origin` (its approval was withdrawn); returns how many."""
        with self._lock:
            self._load()
            gone = [k for k, v in self._keys.items() if v.origin == origin]
            for key_id in gone:
                del self._keys[key_id]
            if gone:
                self._save()
        return len(gone)

    def origins(self) -> dict[str, int]:
        """How many keys each origin holds (for `assistant bridge status` and the home page)."""
        with self._lock:
            self._load()
            counts: dict[str, int] = {}
            for record in self._keys.values():
                counts[record.origin] = counts.get(record.origin, 0) + 1
        return counts


@dataclass
class Claim:
    ident: str
    origin: str
    code: str
    created: float
    #: None while the user has not answered, then True (allowed) or False (refused).
    allowed: bool | None = None
    tries: int = 0


class ClaimOutcome:
    PENDING = "pending"
    REFUSED = "refused"
    WRONG_CODE = "wrong_code"
    UNKNOWN = "unknown"
    GRANTED = "granted"


class Claims:
    """Open connection requests, in memory only (a restart forgets them)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._claims: dict[str, Claim] = {}
        self._lock = threading.Lock()

    def _expire(self) -> None:
        now = self._clock()
        for ident in [k for k, c in self._claims.items() if now - c.created > CLAIM_SECONDS]:
            del self._claims[ident]

    def open(self, origin: str) -> Claim | None:
        """A new claim with its code; None when too many are open."""
        with self._lock:
            self._expire()
            if len(self._claims) >= MAX_CLAIMS:
                return None
            claim = Claim(
                ident=secrets.token_urlsafe(16),
                origin=origin,
                code=f"{secrets.randbelow(1_000_000):06d}",
                created=self._clock(),
            )
            self._claims[claim.ident] = claim
            return claim

    def answer(self, ident: str, allowed: bool) -> None:
        with self._lock:
            claim = self._claims.get(ident)
            if claim is not None:
                claim.allowed = allowed

    def drop(self, ident: str) -> None:
        with self._lock:
            self._claims.pop(ident, None)

    def redeem(self, ident: str, origin: str, code: str) -> str:
        """One try of the code; a ClaimOutcome. GRANTED removes the claim (single use)."""
        with self._lock:
            self._expire()
            claim = self._claims.get(ident)
            if claim is None or claim.origin != origin:
                return ClaimOutcome.UNKNOWN
            if claim.allowed is False:
                del self._claims[ident]
                return ClaimOutcome.REFUSED
            if not hmac.compare_digest(claim.code, code):
                claim.tries += 1
                if claim.tries >= CODE_TRIES:
                    del self._claims[ident]
                return ClaimOutcome.WRONG_CODE
            if claim.allowed is None:
                return ClaimOutcome.PENDING
            del self._claims[ident]
            return ClaimOutcome.GRANTED
