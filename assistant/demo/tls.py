"""HTTPS for the demo platform (`assistant demo --tls`): a throwaway CA made at start, in memory.

Real platforms are HTTPS only, so the path users take (TLS on every transfer, certificate
verification, an enterprise CA added in the settings) must be exercised end to end. The demo
makes a small CA each time it starts, issues the server certificate for 127.0.0.1, ::1 and
localhost, and drops the CA private key at once: it is never serialised, so nothing can be issued
by that CA again. Like the bridge's CA (assistant.bridge.ca), it carries X.509 name constraints
limited to the loopback names and addresses: adding it to a trust list cannot vouch for any real
site. The caller writes the CA certificate (public) where the assistant under test can trust it.

The server's own key has to reach OpenSSL through a file (`SSLContext.load_cert_chain` takes
paths only): it is written to a private temporary folder, loaded, and removed straight away.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from assistant.bridge.ca import issue_loopback_pair
from assistant.files import write_atomic

#: The demo's certificates live one day: a new CA is made at each start anyway.
VALIDITY = dt.timedelta(days=1)
CA_COMMON_NAME = "Plateforme de démonstration — autorité locale"


@dataclass(frozen=True)
class DemoTls:
    """The server side of the demo's HTTPS: its SSL context and the CA certificate to trust."""

    context: ssl.SSLContext
    ca_pem: bytes
    ca_fingerprint_sha256: str

    def write_ca(self, path: Path) -> None:
        """Write the CA certificate (public) atomically: a reader never sees half a PEM."""
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, self.ca_pem, mode=0o644)


def make_tls(now: dt.datetime | None = None) -> DemoTls:
    """A fresh CA (key kept in memory, then dropped) and a loopback server certificate."""
    now = now or dt.datetime.now(dt.UTC)
    not_before, not_after = now - dt.timedelta(minutes=5), now + VALIDITY
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Plateforme de démonstration"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{CA_COMMON_NAME} {os.urandom(4).hex()}"),
        ]
    )
    ca_cert, leaf_key, leaf_cert = issue_loopback_pair(ca_name, "127.0.0.1", not_before, not_after)

    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    chain_pem = leaf_cert.public_bytes(serialization.Encoding.PEM) + ca_pem
    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    folder = Path(tempfile.mkdtemp(prefix="amp-demo-tls-"))  # mode 0700
    try:
        chain_file, key_file = folder / "chain.pem", folder / "key.pem"
        chain_file.write_bytes(chain_pem)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key_pem)
        context.load_cert_chain(chain_file, key_file)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return DemoTls(context=context, ca_pem=ca_pem, ca_fingerprint_sha256=ca_cert.fingerprint(hashes.SHA256()).hex())
