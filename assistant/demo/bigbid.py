"""A big consultation for the demo platform, made on demand: 100 lots × 5 plis × 3 envelopes.

Real bids run to thousands of files and more than 10 GB over a hundred lots; this module makes
one such consultation so that the whole path (descriptor, download, journal, resume, offline
decryption, online opening) can be measured at that size. At full scale: 500 plis, 1,500
envelopes, about 9,750 encrypted files, about 10 GB: many small PDFs and spreadsheets (30 KB to
3 MB) and, in every eleventh lot, an archive of several hundred MB. `scale` (the benchmarks'
`BENCH_SCALE`) shrinks it: fewer lots, smaller archives.

Each file is a CMS EnvelopedData (AES-256-CBC, the key sent to the recipient's RSA key with
PKCS#1 v1.5, DER) for the platform's bi-clé certificate, written as a stream by this module so
that 10 GB take minutes and not 10,000 `openssl` processes: `openssl cms -decrypt` reads them
(tested), as it reads the envelopes `openssl cms -encrypt` makes. Contents are deterministic
(seeded); the envelopes are written once to disk with their SHA-256 (and the plaintext's) in a
manifest, then served like any other file of the demo platform.

    <data_dir>/bigbid/<tag>/consultation/<Lot-043-Pli-4>/<Enveloppe-2-offre>/<file>.p7m
    <data_dir>/bigbid/<tag>/manifest.json

The platform's routes (`handle`): `GET /api/bigbid/descriptors/download?scale=S` and
`GET /api/bigbid/descriptors/open?scale=S&envelopes=N` (the first N envelope files, with upload
URLs); `size=F` makes every file smaller (tests). A page or `assistant download` reaches the descriptor through `descriptor_url`: at full
scale it is ~3 MB of JSON. URLs are built on the Host the request came through (a loopback
address only), so a network-profile proxy in front of the platform stays in the path.

    python -m assistant.demo.bigbid --data-dir DIR --recipient-cert CERT.pem --scale 0.05
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import random
import re
import secrets
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote

from assistant import PROTOCOL_VERSION
from assistant.demo.content import minimal_pdf
from assistant.files import write_json_atomic

if TYPE_CHECKING:
    from assistant.demo.server import DemoPlatform

MB = 1_000_000
CONSULTATION = "GRAND-2026-100-LOTS"
ENVELOPES = [("candidature", "Candidature"), ("offre", "Offre"), ("anonymat", "Anonymat")]
COMPANIES = [
    "Bâtiments Durand SARL",
    "Électricité Martin",
    "Peintures Lefèvre & Fils",
    "Informatique du Léman",
    "Espaces Verts Rousseau",
    "Transports Girard",
    "Menuiserie Bonnet",
    "Plomberie Garnier",
    "Charpentes Faure",
]
NAMES = {
    "candidature": [
        "DC1",
        "DC2",
        "Kbis",
        "Attestation-URSSAF",
        "Attestation-fiscale",
        "References",
        "Certificats-qualification",
        "Moyens-humains.xlsx",
        "Chiffre-affaires.xlsx",
        "Assurance-decennale",
    ],
    "offre": [
        "Acte-engagement",
        "Memoire-technique",
        "BPU.xlsx",
        "DQE.xlsx",
        "DPGF.xlsx",
        "Planning",
        "Plans",
        "Fiches-techniques",
        "Sous-traitance-DC4",
        "Variantes",
    ],
    "anonymat": [
        "Projet",
        "Notice",
        "Panneau-A0",
        "Perspectives",
        "Estimation.xlsx",
        "Maquette-photos",
        "Note-environnementale",
        "Annexes",
        "Plans-niveaux",
        "Coupes",
    ],
}
#: Content encryption and key transport, as `openssl cms -encrypt -aes-256-cbc` does.
_OID_ENVELOPED = bytes.fromhex("2a864886f70d010703")
_OID_DATA = bytes.fromhex("2a864886f70d010701")
_OID_RSA = bytes.fromhex("2a864886f70d010101")
_OID_AES256_CBC = bytes.fromhex("60864801650304012a")
_POOL = 8 << 20
_WRITE = 1 << 20
_HOST = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}$")


@dataclass(frozen=True)
class BigBidSpec:
    """What to make. `scaled(1.0)` is the full consultation of the issue."""

    lots: int = 100
    plis_per_lot: int = 5
    envelopes: int = 3
    #: multiplies every archive's size (several hundred MB at 1)
    archive_factor: float = 1.0
    #: multiplies every other file's size (30 KB to 3 MB at 1)
    size_factor: float = 1.0
    seed: int = 2026

    @classmethod
    def scaled(cls, scale: float, size: float = 1.0) -> BigBidSpec:
        """`scale` shrinks the number of lots (and the archives); `size` every file (tests)."""
        if not (0 < scale <= 1 and 0 < size <= 1):
            raise ValueError("scale and size must be in (0, 1]")
        return cls(
            lots=max(1, round(100 * scale)), archive_factor=min(1.0, max(0.05, scale * 5)) * size, size_factor=size
        )

    @property
    def tag(self) -> str:
        return f"L{self.lots}x{self.plis_per_lot}x{self.envelopes}-a{self.archive_factor:g}-s{self.size_factor:g}-{self.seed}"


@dataclass(frozen=True)
class PlannedFile:
    pli: str
    company: str
    envelope: str
    kind: str
    name: str  # the envelope's file name (ends in .p7m)
    plain_size: int
    seed: int

    @property
    def rel(self) -> str:
        return f"{self.pli}/{self.envelope}/{self.name}"


def plan(spec: BigBidSpec) -> list[PlannedFile]:
    """Every file of the consultation, in descriptor order (deterministic for a spec)."""
    rng = random.Random(spec.seed)  # noqa: S311 - deterministic demo content, not a secret
    out: list[PlannedFile] = []
    for lot in range(1, spec.lots + 1):
        for p in range(1, spec.plis_per_lot + 1):
            pli = f"Lot-{lot:03d}-Pli-{p}"
            company = COMPANIES[(lot * 7 + p) % len(COMPANIES)]
            for e in range(1, spec.envelopes + 1):
                kind = ENVELOPES[(e - 1) % len(ENVELOPES)][0]
                envelope = f"Enveloppe-{e}-{kind}"
                count = rng.randint(3, 10)
                names = NAMES[kind][:count]
                for index, base in enumerate(names):
                    name = base if "." in base else base + ".pdf"
                    # Log-uniform between 30 KB and 3 MB: mostly small documents, a few heavy ones.
                    size = int(math.exp(rng.uniform(math.log(30_000), math.log(3 * MB))) * spec.size_factor)
                    out.append(
                        PlannedFile(
                            pli,
                            company,
                            envelope,
                            kind,
                            f"{index + 1:02d}-{name}.p7m",
                            max(size, 64),
                            rng.getrandbits(32),
                        )
                    )
                if kind == "offre" and p == 1 and lot % 11 == 1:
                    # The archive: a ZIP of drawings and photos, several hundred MB.
                    size = int(rng.uniform(250, 700) * MB * spec.archive_factor)
                    out.append(
                        PlannedFile(
                            pli,
                            company,
                            envelope,
                            kind,
                            f"{len(names) + 1:02d}-Archive-plans-photos.zip.p7m",
                            size,
                            rng.getrandbits(32),
                        )
                    )
    return out


# --------------------------------------------------------------------------------------------
# Contents (deterministic) and the CMS envelope around them


class _Pool:
    """8 MiB of seeded random bytes, repeated: file contents cost no generation time."""

    _data: bytes | None = None
    _lock = threading.Lock()

    @classmethod
    def get(cls) -> memoryview:
        with cls._lock:
            if cls._data is None:
                block = random.Random(15).randbytes(_POOL)  # noqa: S311 - demo content, not a secret
                cls._data = block + block
            return memoryview(cls._data)


def _filler(seed: int, size: int) -> Iterator[memoryview]:
    pool = _Pool.get()
    offset = seed % _POOL
    left = size
    while left > 0:
        n = min(left, _WRITE)
        yield pool[offset : offset + n]
        offset = (offset + n) % _POOL
        left -= n


def _plaintext(item: PlannedFile, scratch: Path) -> tuple[BinaryIO, int]:
    """The file's contents as a readable stream and its size: a PDF, a spreadsheet or a ZIP."""
    plain_name = item.name[: -len(".p7m")]
    if plain_name.endswith(".pdf"):
        head = minimal_pdf(f"{plain_name[3:-4]} - {item.company} - {item.pli}")
        body = io.BytesIO()
        body.write(head)
        body.write(b"%")  # the rest is a comment after %%EOF: scanned pages, as far as sizes go
        for block in _filler(item.seed, max(0, item.plain_size - len(head) - 1)):
            body.write(block)
        size = body.tell()
        body.seek(0)
        return body, size
    if plain_name.endswith(".xlsx"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr(
                "[Content_Types].xml",
                '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
            )
            archive.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook><sheet name="{item.pli}"/></workbook>')
            archive.writestr("xl/media/donnees.bin", b"".join(bytes(b) for b in _filler(item.seed, item.plain_size)))
        size = buffer.tell()
        buffer.seek(0)
        return buffer, size
    # The archive: written to a scratch file (hundreds of MB), members of 64 MB, stored.
    path = scratch / f"archive-{item.seed}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr("LISEZ-MOI.txt", f"{item.company}, {item.pli} : plans et photos.\n")
        left, index = item.plain_size, 1
        while left > 0:
            n = min(left, 64 * MB)
            with archive.open(f"plans/planche-{index:03d}.bin", "w", force_zip64=True) as member:
                for block in _filler(item.seed + index, n):
                    member.write(block)
            left -= n
            index += 1
    fh = path.open("rb")
    path.unlink()  # the open handle keeps the data until it is closed
    return fh, os.fstat(fh.fileno()).st_size


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _len(len(body)) + body


def _head(tag: int, length: int) -> bytes:
    return bytes([tag]) + _len(length)


@dataclass(frozen=True)
class Recipient:
    issuer_der: bytes
    serial: int
    public_key: Any  # cryptography's RSAPublicKey

    @classmethod
    def from_pem(cls, path: Path) -> Recipient:
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(path.read_bytes())
        return cls(cert.issuer.public_bytes(), cert.serial_number, cert.public_key())

    def recipient_infos(self, key: bytes) -> bytes:
        from cryptography.hazmat.primitives.asymmetric import padding

        serial = self.serial.to_bytes((self.serial.bit_length() + 8) // 8, "big")  # a leading 0 keeps it positive
        encrypted = self.public_key.encrypt(key, padding.PKCS1v15())
        ktri = _tlv(
            0x30,
            b"\x02\x01\x00"
            + _tlv(0x30, self.issuer_der + _tlv(0x02, serial))
            + _tlv(0x30, _tlv(0x06, _OID_RSA) + b"\x05\x00")
            + _tlv(0x04, encrypted),
        )
        return _tlv(0x31, ktri)


def write_envelope(source: BinaryIO, size: int, recipient: Recipient, out: BinaryIO) -> tuple[str, str]:
    """Encrypt `size` bytes of `source` into `out` as a DER EnvelopedData; returns the SHA-256 of
    the envelope and of the plaintext. Lengths are definite (the size is known): one pass."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key, iv = secrets.token_bytes(32), secrets.token_bytes(16)
    cipher_len = (size // 16 + 1) * 16
    algorithm = _tlv(0x30, _tlv(0x06, _OID_AES256_CBC) + _tlv(0x04, iv))
    content_head = _tlv(0x06, _OID_DATA) + algorithm + _head(0x80, cipher_len)
    eci_head = _head(0x30, len(content_head) + cipher_len)
    infos = recipient.recipient_infos(key)
    enveloped_len = 3 + len(infos) + len(eci_head) + len(content_head) + cipher_len
    enveloped_head = _head(0x30, enveloped_len)
    explicit = _head(0xA0, len(enveloped_head) + enveloped_len)
    oid = _tlv(0x06, _OID_ENVELOPED)
    outer = _head(0x30, len(oid) + len(explicit) + len(enveloped_head) + enveloped_len)
    header = outer + oid + explicit + enveloped_head + b"\x02\x01\x00" + infos + eci_head + content_head
    digest, plain_digest = hashlib.sha256(header), hashlib.sha256()
    out.write(header)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    padder = padding.PKCS7(128).padder()
    left = size
    while left > 0:
        block = source.read(min(left, 4 << 20))
        if not block:
            raise ValueError("plaintext shorter than announced")
        left -= len(block)
        plain_digest.update(block)
        encrypted = encryptor.update(padder.update(block))
        digest.update(encrypted)
        out.write(encrypted)
    encrypted = encryptor.update(padder.finalize()) + encryptor.finalize()
    digest.update(encrypted)
    out.write(encrypted)
    return digest.hexdigest(), plain_digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Generation (once per spec) and the manifest


def folder(data_dir: Path, spec: BigBidSpec) -> Path:
    return data_dir / "bigbid" / spec.tag


_generating = threading.Lock()
_manifests: dict[Path, dict[str, Any]] = {}


def ensure(data_dir: Path, recipient_cert: Path, spec: BigBidSpec, *, progress: bool = False) -> dict[str, Any]:
    """The consultation's manifest, generating the files first if they are not there yet.

    Written under a temporary name and renamed: an interrupted generation starts again (files
    already written with their final name and size are kept; their hashes are recomputed)."""
    root = folder(data_dir, spec)
    manifest_path = root / "manifest.json"
    with _generating:
        if manifest_path in _manifests:
            return _manifests[manifest_path]
        if not manifest_path.exists():
            _generate(root, Recipient.from_pem(recipient_cert), spec, progress=progress)
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
        _manifests[manifest_path] = manifest
        return manifest


def _generate(root: Path, recipient: Recipient, spec: BigBidSpec, *, progress: bool) -> None:
    served = root / "consultation"
    scratch = root / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    items = plan(spec)
    total = sum(i.plain_size for i in items)
    plis: dict[str, dict[str, Any]] = {}
    done, started = 0, time.monotonic()
    for count, item in enumerate(items, start=1):
        target = served / item.rel
        target.parent.mkdir(parents=True, exist_ok=True)
        source, size = _plaintext(item, scratch)
        tmp = target.with_name(target.name + ".tmp")
        with source, tmp.open("wb") as out:
            sha, plain_sha = write_envelope(source, size, recipient, out)
        os.replace(tmp, target)
        pli = plis.setdefault(item.pli, {"id": item.pli, "company": item.company, "envelopes": {}})
        envelope = pli["envelopes"].setdefault(
            item.envelope, {"id": item.envelope, "kind": item.kind, "label": item.kind.capitalize(), "files": []}
        )
        envelope["files"].append(
            {
                "name": item.name,
                "rel": item.rel,
                "size": target.stat().st_size,
                "sha256": sha,
                "plain_size": size,
                "plain_sha256": plain_sha,
            }
        )
        done += item.plain_size
        if progress and (count % 250 == 0 or count == len(items)):
            rate = done / max(time.monotonic() - started, 1e-6) / MB
            print(
                f"{count}/{len(items)} fichiers, {done / MB:.0f}/{total / MB:.0f} Mo, {rate:.0f} Mo/s",
                file=sys.stderr,
                flush=True,
            )
    manifest = {
        "id": CONSULTATION,
        "label": f"Consultation {CONSULTATION} : {spec.lots} lots (démonstration, grand volume)",
        "tag": spec.tag,
        "plis": [{**p, "envelopes": list(p["envelopes"].values())} for p in plis.values()],
    }
    write_json_atomic(root / "manifest.json", manifest)
    scratch.rmdir()


def files_of(manifest: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for pli in manifest["plis"]:
        for envelope in pli["envelopes"]:
            yield from envelope["files"]


# --------------------------------------------------------------------------------------------
# Descriptors and the platform's route


def descriptor(
    platform: DemoPlatform, manifest: dict[str, Any], kind: str, base: str, *, envelopes: int = 1000
) -> dict[str, Any]:
    """A download descriptor of the whole consultation, or an opening descriptor of its first
    `envelopes` envelope files (the platform receives their plaintext back)."""
    prefix = f"{base}/files/bigbid/{quote(manifest['tag'])}/consultation/"

    def entry(f: dict[str, Any], upload: bool) -> dict[str, Any]:
        out = {"name": f["name"], "url": prefix + quote(f["rel"]), "size": f["size"], "sha256": f["sha256"]}
        if upload:
            out["upload_url"] = f"{base}/uploads/ouverture-grand-volume/{quote(f['rel'][: -len('.p7m')])}"
        return out

    left = envelopes if kind == "open" else -1
    plis = []
    for pli in manifest["plis"]:
        out_envelopes = []
        for envelope in pli["envelopes"]:
            files = []
            for f in envelope["files"]:
                if left == 0:
                    break
                files.append(entry(f, kind == "open"))
                left -= 1
            if files:
                out_envelopes.append(
                    {"id": envelope["id"], "kind": envelope["kind"], "label": envelope["label"], "files": files}
                )
        if out_envelopes:
            plis.append({"id": pli["id"], "company": pli["company"], "envelopes": out_envelopes})
        if left == 0:
            break
    consultation = {"id": manifest["id"], "label": manifest["label"], "plis": plis}
    result: dict[str, Any] = {
        "version": PROTOCOL_VERSION,
        "type": kind,
        "platform": "Plateforme de démonstration",
        "token": platform.issue_token(),
    }
    if kind == "download":
        result["label"] = "Téléchargement des plis chiffrés (grand volume)"
        result["params"] = {"consultations": [consultation]}
    else:
        result["label"] = f"Ouverture en ligne — {manifest['id']}"
        result["params"] = {"consultation": consultation}
    return result


def handle(handler: Any, path: str, query: dict[str, list[str]]) -> bool:
    """The demo server's route for `/api/bigbid/...` (False: not ours)."""
    if not path.startswith("/api/bigbid/descriptors/"):
        return False
    platform: DemoPlatform = handler.demo
    kind = path.rsplit("/", 1)[1]
    if kind not in ("download", "open"):
        handler._json(404, {"error": "unknown descriptor"})
        return True
    try:
        spec = BigBidSpec.scaled(float((query.get("scale") or ["1"])[0]), float((query.get("size") or ["1"])[0]))
        count = int((query.get("envelopes") or ["1000"])[0])
    except ValueError as exc:
        handler._json(400, {"error": str(exc)})
        return True
    assert platform.material is not None
    manifest = ensure(platform.data_dir, platform.recipient_cert or platform.material.bicle_cert, spec)
    host = handler.headers.get("Host", "")
    base = f"{'https' if platform.tls_enabled else 'http'}://{host}" if _HOST.match(host) else platform.url
    handler._json(200, descriptor(platform, manifest, kind, base, envelopes=max(1, count)))
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.demo.bigbid", description="Génère la grande consultation de démonstration."
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--recipient-cert", type=Path, required=True)
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "1")))
    args = parser.parse_args(argv)
    spec = BigBidSpec.scaled(args.scale)
    start = time.monotonic()
    manifest = ensure(args.data_dir, args.recipient_cert, spec, progress=True)
    files = list(files_of(manifest))
    print(
        json.dumps(
            {
                "tag": spec.tag,
                "files": len(files),
                "bytes": sum(f["size"] for f in files),
                "seconds": round(time.monotonic() - start, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
