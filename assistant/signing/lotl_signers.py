"""The certificates allowed to sign the EU List of Trusted Lists, as the Official Journal publishes them.

They ship in `resources/eu-lotl-signers/` (its README says where they come from and how they were
checked). Only a file whose SHA-256 is one of `FINGERPRINTS` is loaded: a certificate dropped in
that folder is not a trust root. `trusted-lists update` starts from them unless the user pins
others (`--lotl-cert`), and follows the pivot LOTLs published since this notice
(`trustlists.TrustedListCache.update`).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

#: The notice in the Official Journal of the EU that publishes the certificates below.
OJ_REFERENCE = "C/2026/1944"
OJ_URL = "https://eur-lex.europa.eu/eli/C/2026/1944/oj"
#: How the LOTL's SchemeInformationURI may name that notice (ELI or CELEX-style address).
OJ_MARKERS = ("/C/2026/1944/", "C_202601944")

#: SHA-256 of the DER of each certificate of OJ C/2026/1944.
FINGERPRINTS = frozenset(
    {
        "c0641c4f7d56c431b1c924742db7fce9c1eef7d7fd212113a2768486b3abcdc5",
        "e0a620fbb6747362bb933ac44169d676a553444716cf5f31605f12a22b8396b1",
        "df7e29360c34b2b8d6d5f40325c1d4d12c9922cecd33b7407674a74b2b3ca1e5",
        "b63d416744e7098bf9ec2caa596a93bc2468e37f8284ba65ecc061711bcbaa18",
        "236103f03a8031ae8f47f9059bf8de38564cdbfebedde4a597d50f8980aa653b",
        "d2064fdd70f6982dcc516b86d9d5c56aea939417c624b2e478c0b29de54f8474",
    }
)


def signers_dir() -> Path:
    """resources/eu-lotl-signers in a source tree, or beside the executable in a PyInstaller build."""
    bundle = getattr(sys, "_MEIPASS", None)
    candidates = [Path(bundle) / "resources" / "eu-lotl-signers"] if bundle else []
    candidates.append(Path(__file__).resolve().parents[2] / "resources" / "eu-lotl-signers")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[-1]


def shipped_signers() -> list[x509.Certificate]:
    """The certificates of the notice found in the resources (none when the folder is missing)."""
    found: dict[str, x509.Certificate] = {}
    folder = signers_dir()
    for path in sorted(folder.glob("*.pem")) if folder.is_dir() else []:
        try:
            certificates = x509.load_pem_x509_certificates(path.read_bytes())
        except (OSError, ValueError):
            continue
        for cert in certificates:
            digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
            if digest in FINGERPRINTS:
                found[digest] = cert
    return [found[digest] for digest in sorted(found)]


def names_this_notice(uri: str) -> bool:
    """Whether a SchemeInformationURI of the LOTL is the address of OJ C/2026/1944."""
    return any(marker in uri for marker in OJ_MARKERS) or uri.rstrip("/") == OJ_URL.rstrip("/")
