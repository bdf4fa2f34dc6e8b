"""Fixtures of the signing tests: credentials from real stores, a real RFC 3161 TSA, sample PDFs.

The TSA is OpenSSL's own `openssl ts -reply` behind a tiny HTTP server on 127.0.0.1 (ephemeral
port), with a TSA certificate issued by the test CA (critical timeStamping EKU, as OpenSSL
insists). Validators get the test CA bundle as their only trust anchor.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from assistant.keystores.base import Credential, PinRequest
from assistant.keystores.pkcs12 import Pkcs12Store
from tests import pki

# --------------------------------------------------------------------------------------------
# Credentials


@dataclass
class PinCounter:
    """A PinCallback that answers with a fixed secret and records every request."""

    secret: str
    requests: list[PinRequest] = field(default_factory=list)

    def __call__(self, request: PinRequest) -> str | None:
        self.requests.append(request)
        return self.secret

    @property
    def count(self) -> int:
        return len(self.requests)


@pytest.fixture
def p12_pin() -> PinCounter:
    return PinCounter(pki.P12_PASSWORD)


@pytest.fixture
def p12_credential(test_pki: pki.TestPki, p12_pin: PinCounter) -> Iterator[Credential]:
    store = Pkcs12Store(test_pki.signer.files["p12"], p12_pin)
    yield store.credentials()[0]
    store.close()


@pytest.fixture
def p12_ec_credential(test_pki: pki.TestPki) -> Iterator[Credential]:
    store = Pkcs12Store(test_pki.signer_ec.files["p12"], PinCounter(pki.P12_PASSWORD))
    yield store.credentials()[0]
    store.close()


# --------------------------------------------------------------------------------------------
# The TSA


@dataclass
class Tsa:
    url: str
    cert: Path
    folder: Path
    requests: list[bytes] = field(default_factory=list)


def tsa_certificate(test_pki: pki.TestPki, folder: Path, crl_url: str | None = None) -> tuple[Path, Path]:
    """A TSA certificate (critical timeStamping EKU, as `openssl ts` wants) from the test CA."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    ca = test_pki.ca
    builder = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "AMP Test TSA"),
                ]
            )
        )
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
    )
    if crl_url is not None:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    cert = builder.sign(ca.key, hashes.SHA256())  # type: ignore[arg-type]
    cert_path = folder / "tsa.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path = folder / "tsa.key.pem"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture(scope="session")
def tsa(tmp_path_factory: pytest.TempPathFactory, test_pki: pki.TestPki) -> Iterator[Tsa]:
    pki.require_tool("openssl")
    folder = tmp_path_factory.mktemp("tsa")
    cert_path, key_path = tsa_certificate(test_pki, folder)
    with serve_tsa(folder, cert_path, key_path, test_pki) as state:
        yield state


@contextlib.contextmanager
def serve_tsa(folder: Path, cert_path: Path, key_path: Path, test_pki: pki.TestPki) -> Iterator[Tsa]:
    """`openssl ts -reply` with this TSA certificate and key, behind an HTTP server on 127.0.0.1."""
    chain = folder / "chain.pem"
    chain.write_bytes(test_pki.ca.cert_pem)
    (folder / "serial").write_text("01\n")
    conf = folder / "tsa.cnf"
    conf.write_text(
        f"""[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
serial = {folder}/serial
crypto_device = builtin
signer_cert = {cert_path}
certs = {chain}
signer_key = {key_path}
signer_digest = sha256
default_policy = 1.2.250.1.999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""
    )
    lock = threading.Lock()
    state = Tsa("", cert_path, folder)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.requests.append(body)
            with lock, tempfile.TemporaryDirectory(dir=folder) as work:
                query = Path(work) / "q.tsq"
                reply = Path(work) / "r.tsr"
                query.write_bytes(body)
                done = subprocess.run(
                    ["openssl", "ts", "-reply", "-config", str(conf), "-queryfile", str(query), "-out", str(reply)],
                    capture_output=True,
                )
                data = reply.read_bytes() if reply.exists() else b""
            if done.returncode != 0 or not data:
                self.send_response(500)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def verify_timestamp_token(token_der: bytes, digest: bytes, test_pki: pki.TestPki, tsa: Tsa, work: Path) -> None:
    """`openssl ts -verify` over a token and the digest it should cover; raises on failure."""
    token = work / f"token-{hashlib.sha256(token_der).hexdigest()[:8]}.der"
    token.write_bytes(token_der)
    subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-digest",
            digest.hex(),
            "-in",
            str(token),
            "-token_in",
            "-CAfile",
            str(test_pki.ca_bundle),
            "-untrusted",
            str(tsa.cert),
        ],
        check=True,
        capture_output=True,
    )


# --------------------------------------------------------------------------------------------
# Documents


def make_pdf(path: Path, text: str = "Offre", *, encrypt_password: str | None = None) -> Path:
    """A real one-page PDF with a line of text (pyHanko's writer)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PdfFileWriter

    writer = PdfFileWriter()
    font = writer.add_object(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Font"),
                generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
                generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
            }
        )
    )
    safe = text.encode("latin-1", "replace").decode("latin-1").replace("(", "[").replace(")", "]")
    stream = generic.StreamObject(stream_data=f"BT /F1 18 Tf 72 760 Td ({safe}) Tj ET".encode("latin-1"))
    page = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Page"),
            generic.NameObject("/MediaBox"): generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)]),
            generic.NameObject("/Contents"): writer.add_object(stream),
            generic.NameObject("/Resources"): generic.DictionaryObject(
                {generic.NameObject("/Font"): generic.DictionaryObject({generic.NameObject("/F1"): font})}
            ),
        }
    )
    writer.insert_page(page)
    if encrypt_password is not None:
        writer.encrypt(encrypt_password, encrypt_password)
    buffer = BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def fingerprint(path: Path) -> tuple[str, int, int]:
    """What must not change in an original: content hash, mtime and size."""
    stat = path.stat()
    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    return digest, stat.st_mtime_ns, stat.st_size


@pytest.fixture(scope="session")
def pdfsig_nssdir(tmp_path_factory: pytest.TempPathFactory, test_pki: pki.TestPki) -> Path:
    """An NSS database whose only trust anchor is the test root (pdfsig reads trust from NSS)."""
    folder = tmp_path_factory.mktemp("pdfsig-nss")
    pki.run(["certutil", "-N", "-d", f"sql:{folder}", "--empty-password"])
    pki.run(
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{folder}",
            "-n",
            "amp-root",
            "-t",
            "CT,C,C",
            "-i",
            str(test_pki.root.files["cert"]),
        ]
    )
    pki.run(["certutil", "-A", "-d", f"sql:{folder}", "-n", "amp-ca", "-t", ",,", "-i", str(test_pki.ca.files["cert"])])
    return folder


def env_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}


# --------------------------------------------------------------------------------------------
# Revocation: a CRL for the test CA, served on 127.0.0.1


@dataclass
class CrlPki:
    """Two certificates whose CRL distribution point is a local server; `bad` is revoked."""

    url: str
    good: pki.Issued
    bad: pki.Issued
    fetched: list[str]

    def credential(self, issued: pki.Issued, test_pki: pki.TestPki) -> Credential:
        from assistant.keystores.base import StoreKind, StoreRef
        from assistant.keystores.software import SoftwareCredential

        return SoftwareCredential(
            issued.certificate,
            issued.key,
            StoreRef(StoreKind.PKCS12, issued.name, issued.name),
            chain=[test_pki.ca.certificate],
        )


@pytest.fixture
def crl_pki(test_pki: pki.TestPki) -> Iterator[CrlPki]:
    body: list[bytes] = [b""]
    fetched: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetched.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/pkix-crl")
            self.send_header("Content-Length", str(len(body[0])))
            self.end_headers()
            self.wfile.write(body[0])

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/ca.crl"
    good = pki.issue("good", "Jean Valide", test_pki.ca, key_usage={"non_repudiation"}, qc=True, crl_url=url)
    bad = pki.issue("bad", "Paul Révoqué", test_pki.ca, key_usage={"non_repudiation"}, qc=True, crl_url=url)
    now = dt.datetime.now(dt.UTC)
    revoked = (
        x509.RevokedCertificateBuilder()
        .serial_number(bad.certificate.serial_number)
        .revocation_date(now - dt.timedelta(hours=1))
        .build()
    )
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(test_pki.ca.certificate.subject)
        .last_update(now - dt.timedelta(hours=1))
        .next_update(now + dt.timedelta(days=1))
        .add_revoked_certificate(revoked)
        .sign(test_pki.ca.key, hashes.SHA256())  # type: ignore[arg-type]
    )
    body[0] = crl.public_bytes(serialization.Encoding.DER)
    try:
        yield CrlPki(url, good, bad, fetched)
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------------------------
# OCSP: `openssl ocsp` as the responder


@dataclass
class OcspPki:
    url: str
    good: pki.Issued
    revoked: pki.Issued
    stop: Callable[[], None]  # the responder gone (idempotent)


@pytest.fixture
def ocsp_pki(tmp_path: Path, test_pki: pki.TestPki) -> Iterator[OcspPki]:
    """`openssl ocsp` answers each request (index file, responder = the issuing CA), behind a small
    HTTP server bound to 127.0.0.1 (openssl's own -port listens on every interface)."""
    pki.require_tool("openssl")
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    url = f"http://127.0.0.1:{server.server_address[1]}/ocsp"
    good = pki.write_files(pki.issue("ocsp-good", "Claire Valide", test_pki.ca, qc=True, ocsp_url=url), tmp_path)
    revoked = pki.write_files(pki.issue("ocsp-revoked", "Marc Révoqué", test_pki.ca, qc=True, ocsp_url=url), tmp_path)
    expiry = (dt.datetime.now(dt.UTC) + dt.timedelta(days=700)).strftime("%y%m%d%H%M%SZ")
    revoked_at = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).strftime("%y%m%d%H%M%SZ")

    def serial(item: pki.Issued) -> str:
        text = format(item.certificate.serial_number, "X")
        return text if len(text) % 2 == 0 else "0" + text  # openssl's index wants whole bytes

    index = tmp_path / "index.txt"
    index.write_text(
        f"V\t{expiry}\t\t{serial(good)}\tunknown\t/CN=Claire Valide\n"
        f"R\t{expiry}\t{revoked_at}\t{serial(revoked)}\tunknown\t/CN=Marc Revoque\n"
    )
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock, tempfile.TemporaryDirectory(dir=tmp_path) as work:
                request, response = Path(work) / "req.der", Path(work) / "resp.der"
                request.write_bytes(body)
                subprocess.run(
                    [
                        "openssl",
                        "ocsp",
                        "-index",
                        str(index),
                        "-rsigner",
                        str(test_pki.ca.files["cert"]),
                        "-rkey",
                        str(test_pki.ca.files["key"]),
                        "-CA",
                        str(test_pki.ca.files["cert"]),
                        "-nmin",
                        "60",
                        "-reqin",
                        str(request),
                        "-respout",
                        str(response),
                    ],
                    capture_output=True,
                )
                data = response.read_bytes() if response.exists() else b""
            self.send_response(200 if data else 500)
            self.send_header("Content-Type", "application/ocsp-response")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server.RequestHandlerClass = Handler
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stopped: list[bool] = []

    def stop() -> None:
        if not stopped:
            stopped.append(True)
            server.shutdown()
            server.server_close()

    try:
        yield OcspPki(url, good, revoked, stop)
    finally:
        stop()
