"""The demo platform's consultations: plis encrypted by OpenSSL, laid out on disk.

    consultations/<consultation>/<pli>/<enveloppe>/<file>.p7m   what the platform serves
    originals/<consultation>/<pli>/<enveloppe>/<file>           the plaintext, to compare uploads
    sign/<name>.pdf                                             files offered for signature

Envelopes are made with the real tool (`openssl cms -encrypt -binary -aes-256-cbc`, DER), for the
demo bi-clé or for a certificate the caller names (the tests use the SoftHSM2 bi-clé). The
catalog is rebuilt from disk, so a benchmark can drop its own files in a consultation folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.files import write_json_atomic

ENVELOPE_KINDS = [("candidature", "Candidature"), ("offre", "Offre"), ("anonymat", "Anonymat")]
COMPANIES = [
    "Bâtiments Durand SARL",
    "Électricité Martin",
    "Peintures Lefèvre & Fils",
    "Informatique du Léman",
    "Espaces Verts Rousseau",
    "Transports Girard",
    "Menuiserie Bonnet",
]


@dataclass(frozen=True)
class ContentSpec:
    consultations: int = 3
    plis: int = 5
    envelopes: int = 3
    files_per_envelope: int = 1
    file_size: int = 48 * 1024  # plaintext payload per envelope file


def consultation_id(index: int) -> str:
    return f"DEMO-2026-{index:03d}"


def build_content(root: Path, recipient_cert: Path, spec: ContentSpec) -> None:
    """Create the encrypted plis (idempotent: an existing consultations folder is kept)."""
    served = root / "consultations"
    if served.exists():
        return
    openssl = shutil.which("openssl")
    if not openssl:
        raise RuntimeError("openssl est requis pour créer les plis de démonstration / openssl is required")
    staging = root / "consultations.tmp"
    originals = root / "originals.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(originals, ignore_errors=True)
    for c in range(1, spec.consultations + 1):
        cid = consultation_id(c)
        for p in range(1, spec.plis + 1):
            pli = f"Pli-{p:02d}"
            for e in range(1, spec.envelopes + 1):
                kind = ENVELOPE_KINDS[(e - 1) % len(ENVELOPE_KINDS)][0]
                env = f"Enveloppe-{e}-{kind}"
                for f in range(1, spec.files_per_envelope + 1):
                    plain_name = f"{kind}-{f}.zip"
                    plain = _zip_payload(cid, pli, kind, spec.file_size)
                    plain_path = originals / cid / pli / env / plain_name
                    plain_path.parent.mkdir(parents=True, exist_ok=True)
                    plain_path.write_bytes(plain)
                    out = staging / cid / pli / env / (plain_name + ".p7m")
                    out.parent.mkdir(parents=True, exist_ok=True)
                    subprocess.run(
                        [
                            openssl,
                            "cms",
                            "-encrypt",
                            "-binary",
                            "-aes-256-cbc",
                            "-outform",
                            "DER",
                            "-in",
                            str(plain_path),
                            "-out",
                            str(out),
                            str(recipient_cert),
                        ],
                        check=True,
                        capture_output=True,
                    )
    shutil.rmtree(root / "originals", ignore_errors=True)
    os.replace(originals, root / "originals")
    os.replace(staging, served)


def _zip_payload(cid: str, pli: str, kind: str, size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("LISEZ-MOI.txt", f"Consultation {cid}, {pli}, enveloppe {kind} (démonstration).\n")
        archive.writestr(f"{kind}/piece-1.bin", os.urandom(size))
    return buffer.getvalue()


def build_sign_files(root: Path) -> None:
    folder = root / "sign"
    if folder.exists():
        return
    tmp = root / "sign.tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    for name, title in [("Acte d'engagement.pdf", "Acte d'engagement"), ("Memoire technique.pdf", "Mémoire technique")]:
        (tmp / name).write_bytes(minimal_pdf(title))
    (tmp / "Bordereau des prix.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<bordereau><ligne prix="12.50">Fourniture</ligne></bordereau>\n',
        encoding="utf-8",
    )
    os.replace(tmp, folder)


def minimal_pdf(title: str) -> bytes:
    """A small valid PDF (one page with a title) written by hand: no PDF library needed."""
    text = title.encode("latin-1", "replace").replace(b"(", b"\\(").replace(b")", b"\\)")
    stream = b"BT /F1 24 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# --------------------------------------------------------------------------------------------
# Catalog (scanned from disk, hashes cached by size and mtime)


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Catalog:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache_path = root / "hash-cache.json"
        try:
            self._cache: dict[str, list[Any]] = json.loads(self._cache_path.read_text())
        except (OSError, ValueError):
            self._cache = {}
        self.consultations = self._scan()
        write_json_atomic(self._cache_path, self._cache)

    def file_info(self, path: Path) -> dict[str, Any]:
        stat = path.stat()
        key = str(path.relative_to(self.root))
        cached = self._cache.get(key)
        if cached and cached[0] == stat.st_size and cached[1] == stat.st_mtime_ns:
            sha = str(cached[2])
        else:
            sha = _hash(path)
            self._cache[key] = [stat.st_size, stat.st_mtime_ns, sha]
        return {"name": path.name, "size": stat.st_size, "sha256": sha, "rel": key}

    def _scan(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        base = self.root / "consultations"
        if not base.is_dir():
            return out
        for c_dir in sorted(p for p in base.iterdir() if p.is_dir()):
            plis = []
            for index, p_dir in enumerate(sorted(p for p in c_dir.iterdir() if p.is_dir())):
                envelopes = []
                for e_dir in sorted(p for p in p_dir.iterdir() if p.is_dir()):
                    files = [self.file_info(f) for f in sorted(e_dir.iterdir()) if f.is_file()]
                    if files:
                        kind = e_dir.name.split("-")[-1]
                        envelopes.append({"id": e_dir.name, "kind": kind, "label": kind.capitalize(), "files": files})
                if envelopes:
                    plis.append(
                        {"id": p_dir.name, "company": COMPANIES[index % len(COMPANIES)], "envelopes": envelopes}
                    )
            if plis:
                out.append({"id": c_dir.name, "label": f"Consultation {c_dir.name} (démonstration)", "plis": plis})
        return out

    def find(self, consultation: str) -> dict[str, Any] | None:
        for item in self.consultations:
            if item["id"] == consultation:
                return item
        return None
