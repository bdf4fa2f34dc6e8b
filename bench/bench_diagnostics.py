"""Configuration test: the platform reachability check against `curl` on the same local HTTPS server.

Our check opens three connections (TCP probe, verified TLS handshake, HTTP GET) and reads the
clock, so it is expected to cost a few times one `curl` request; the figure says how many. Also
timed: the whole report without a platform (system, stores, browsers), as `assistant diagnose`
shows it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

RUNS = 20


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b"<html>plateforme</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _median_ms(func: object, runs: int = RUNS) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 2)


def main() -> dict[str, object]:
    from assistant.diagnostics import run_diagnostics
    from assistant.diagnostics.network import check_platform
    from assistant.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ.setdefault("ASSISTANT_HOME", str(folder / "home"))
        cert, key = _certificate(folder)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"https://127.0.0.1:{server.server_address[1]}/"
        previous = os.environ.get("SSL_CERT_FILE")
        os.environ["SSL_CERT_FILE"] = str(cert)
        try:
            statuses = [r.status.value for r in check_platform(url)]
            ours = _median_ms(lambda: check_platform(url))
            curl = shutil.which("curl")
            reference = (
                _median_ms(
                    lambda: subprocess.run([curl, "-sS", "-o", os.devnull, "--cacert", str(cert), url], check=True)
                )
                if curl
                else None
            )
            local_report = _median_ms(lambda: run_diagnostics(Settings()), runs=5)
        finally:
            if previous is None:
                os.environ.pop("SSL_CERT_FILE", None)
            else:
                os.environ["SSL_CERT_FILE"] = previous
            server.shutdown()
            server.server_close()
    return {
        "platform_check_statuses": statuses,
        "platform_check_median_ms": ours,
        "curl_one_request_median_ms": reference,
        "ratio_ours_over_curl": round(ours / reference, 2) if reference else None,
        "full_report_without_platform_median_ms": local_report,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
