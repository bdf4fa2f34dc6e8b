"""Real HTTPS servers on 127.0.0.1 for the network checks: valid, expired, clock-shifted, erroring."""

from __future__ import annotations

import datetime as dt
import email.utils
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests import pki


def server_certificate(
    folder: Path, issuer: pki.Issued, name: str, *, not_before: dt.datetime, not_after: dt.datetime
) -> tuple[Path, Path]:
    """A TLS server certificate for 127.0.0.1 and localhost, issued by the test CA."""
    key = pki.new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(issuer.key, hashes.SHA256())  # type: ignore[arg-type]
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path = folder / f"{name}.pem"
    key_path = folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + issuer.cert_pem)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def valid_server_certificate(folder: Path, test_pki: pki.TestPki) -> tuple[Path, Path]:
    """The platform's certificate in the ordinary case: issued by the test CA, valid for 90 days more.
    The caller makes the CA trusted (SSL_CERT_FILE=test_pki.ca_bundle)."""
    now = dt.datetime.now(dt.UTC)
    return server_certificate(
        folder, test_pki.ca, "platform", not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=90)
    )


@dataclass
class Behaviour:
    status: int = 200
    clock_offset: dt.timedelta = dt.timedelta(0)
    send_date: bool = True


@dataclass
class RunningServer:
    url: str
    port: int
    behaviour: Behaviour


@contextmanager
def https_server(cert: tuple[Path, Path] | None, behaviour: Behaviour | None = None) -> Iterator[RunningServer]:
    """Serve on an ephemeral 127.0.0.1 port; HTTPS when `cert` is given."""
    behaviour = behaviour or Behaviour()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def date_time_string(self, timestamp: float | None = None) -> str:
            moment = dt.datetime.now(dt.UTC) + behaviour.clock_offset
            return email.utils.format_datetime(moment, usegmt=True)

        def send_header(self, keyword: str, value: str) -> None:
            if keyword == "Date" and not behaviour.send_date:
                return
            super().send_header(keyword, value)

        def do_GET(self) -> None:
            body = b"<html><body>Plateforme de test</body></html>"
            self.send_response(behaviour.status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    scheme = "http"
    if cert is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert[0]), str(cert[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RunningServer(f"{scheme}://127.0.0.1:{port}/", port, behaviour)
    finally:
        server.shutdown()
        server.server_close()
