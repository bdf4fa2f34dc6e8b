"""Platform certificates: the demo over HTTPS and the user's extra CAs, through all three HTTP stacks.

The demo platform runs in this process with `tls=True` (a CA made at start, name-constrained to
loopback). What the user relies on: with the CA in `platform_ca_files` every path works
(descriptors and uploads through requests, direct transfers through http.client, ranged and proxied
transfers through urllib3); without it every path is refused at once with the French message and
nothing is written; the extra CAs are added to the system's roots, never in their place.
"""

from __future__ import annotations

import hashlib
import json
import select
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from assistant.demo.content import ContentSpec
from assistant.demo.server import DemoPlatform
from assistant.platform import client as client_module
from assistant.platform.client import PlatformCaError, PlatformClient, UntrustedPlatformError
from assistant.settings import Settings
from assistant.transport import core as transport_module
from tests.pki import require_tool

SPEC = ContentSpec(consultations=1, plis=2, envelopes=3, file_size=300 * 1024)


def _start(folder: Path) -> tuple[DemoPlatform, Path]:
    require_tool("openssl")
    platform = DemoPlatform(data_dir=folder, spec=SPEC, test_hooks=True, seed_credentials=False, tls=True).start()
    assert platform.tls is not None
    ca = folder.parent / f"{folder.name}-ca.pem"
    platform.tls.write_ca(ca)
    return platform, ca


@pytest.fixture(scope="module")
def tls_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoPlatform, Path]]:
    platform, ca = _start(tmp_path_factory.mktemp("tls") / "demo")
    yield platform, ca
    platform.stop()


@pytest.fixture(autouse=True)
def clean_faults(tls_demo: tuple[DemoPlatform, Path]) -> None:
    """Replaces the package's fixture of the same name (that one starts the plain-HTTP demo)."""
    tls_demo[0].faults.__init__()  # type: ignore[misc]
    tls_demo[0].stats.reset()


def _descriptor(platform: DemoPlatform, ca: Path, kind: str = "download") -> dict[str, Any]:
    client = PlatformClient(None, verify=[str(ca)])
    try:
        result: dict[str, Any] = client.get_json(f"{platform.url}/api/descriptors/{kind}")
        return result
    finally:
        client.close()


def _files(descriptor: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        f for c in descriptor["params"]["consultations"] for p in c["plis"] for e in p["envelopes"] for f in e["files"]
    ]


# -- the demo's HTTPS -------------------------------------------------------------------------


def test_demo_serves_https_with_a_loopback_only_ca_and_https_urls(tls_demo: tuple[DemoPlatform, Path]) -> None:
    platform, ca = tls_demo
    assert platform.url.startswith("https://127.0.0.1:")
    descriptor = _descriptor(platform, ca)
    urls = [f["url"] for f in _files(descriptor)]
    assert urls and all(u.startswith(f"{platform.url}/files/") for u in urls)
    opening = _descriptor(platform, ca, "open")
    uploads = [
        f["upload_url"] for p in opening["params"]["consultation"]["plis"] for e in p["envelopes"] for f in e["files"]
    ]
    assert uploads and all(u.startswith("https://") for u in uploads)

    cert = x509.load_pem_x509_certificate(ca.read_bytes())
    constraints = cert.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    permitted = {str(getattr(name, "value", name)) for name in constraints.value.permitted_subtrees or []}
    assert permitted == {"localhost", "127.0.0.1/32", "::1/128"}
    # The certificate names localhost too: a client that says "localhost" verifies it.
    context = ssl.create_default_context(cafile=str(ca))
    with (
        socket.create_connection(("127.0.0.1", platform.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    # The server key went through a private temporary folder that is gone again.
    import tempfile

    assert not list(Path(tempfile.gettempdir()).glob("amp-demo-tls-*"))


def test_plain_http_stays_the_default(tmp_path: Path) -> None:
    platform = DemoPlatform(
        data_dir=tmp_path / "demo", spec=ContentSpec(1, 1, 1, file_size=1024), seed_credentials=False
    )
    assert platform.url.startswith("http://") and platform.tls is None


# -- trusted: every stack ---------------------------------------------------------------------


def test_with_the_ca_added_descriptors_transfers_ranges_and_uploads_work(
    tls_demo: tuple[DemoPlatform, Path], tmp_path: Path
) -> None:
    platform, ca = tls_demo
    descriptor = _descriptor(platform, ca)  # http.client
    token = descriptor["token"]
    files = _files(descriptor)
    client = PlatformClient(
        token, verify=[str(ca)], range_connections=3, range_threshold=200_000, ranges_on_loopback=True
    )
    try:
        for index, file in enumerate(files[:2]):  # urllib3, three ranges each
            dest = tmp_path / f"r{index}.p7m"
            client.download(file["url"], dest, size=file["size"], sha256=file["sha256"])
            assert hashlib.sha256(dest.read_bytes()).hexdigest() == file["sha256"]
        answer = client.upload(f"{platform.url}/uploads/test/clair.bin", b"contenu \xe9" * 1000)  # http.client
        assert answer["sha256"] == hashlib.sha256(b"contenu \xe9" * 1000).hexdigest()
        # urllib3 used the transport's one context, and left its checks as they were
        # (http.client relies on the same object to check the host name).
        shared = client.transport.tls()
        assert shared.check_hostname and shared.verify_mode == ssl.CERT_REQUIRED
    finally:
        client.close()
    ranges = platform.stats.to_dict()["ranges"]
    assert sum(len(v) for v in ranges.values()) >= 4  # several ranges per file over TLS
    direct = PlatformClient(token, verify=[str(ca)])  # http.client
    try:
        for index, file in enumerate(files[2:]):
            dest = tmp_path / f"d{index}.p7m"
            direct.download(file["url"], dest, size=file["size"], sha256=file["sha256"])
            assert hashlib.sha256(dest.read_bytes()).hexdigest() == file["sha256"]
    finally:
        direct.close()


def test_fault_hooks_work_over_tls(tls_demo: tuple[DemoPlatform, Path], tmp_path: Path) -> None:
    """Cuts resume with Range, a corrupted body is refused, latency delays each request."""
    platform, ca = tls_demo
    descriptor = _descriptor(platform, ca)
    token, file = descriptor["token"], _files(descriptor)[0]
    platform.faults.update({"drop_after": 50_000, "drop_count": 3})
    stats = PlatformClient(token, verify=[str(ca)], backoff=0.01).download(
        file["url"], tmp_path / "cut.p7m", size=file["size"], sha256=file["sha256"]
    )
    assert stats.attempts == 4
    rel = file["url"].split("/files/", 1)[1]
    assert platform.stats.ranges[rel] == [0, 50_000, 100_000, 150_000]
    assert platform.stats.served[rel] == file["size"]  # nothing received twice

    platform.faults.update({"corrupt": [rel], "corrupt_count": 1})
    with pytest.raises(client_module.HashMismatchError):
        PlatformClient(token, verify=[str(ca)]).download(
            file["url"], tmp_path / "bad.p7m", size=file["size"], sha256=file["sha256"]
        )
    assert not (tmp_path / "bad.p7m").exists()

    platform.faults.update({"latency": 0.3})
    began = time.monotonic()
    PlatformClient(token, verify=[str(ca)]).download(
        file["url"], tmp_path / "slow.p7m", size=file["size"], sha256=file["sha256"]
    )
    assert time.monotonic() - began >= 0.3


# -- untrusted: refused at once, nothing written ----------------------------------------------


def test_without_the_ca_every_path_is_refused_at_once(tls_demo: tuple[DemoPlatform, Path], tmp_path: Path) -> None:
    platform, ca = tls_demo
    descriptor = _descriptor(platform, ca)
    file = _files(descriptor)[0]
    attempts = {
        "descriptor": lambda c: c.get_json(f"{platform.url}/api/descriptors/download"),
        "direct": lambda c: c.download(file["url"], tmp_path / "a.p7m", size=file["size"], sha256=file["sha256"]),
        "upload": lambda c: c.upload(f"{platform.url}/uploads/test/refus.bin", b"x"),
    }
    for what, attempt in attempts.items():
        for verify in (True, []):  # the system's roots alone: the demo CA is not among them
            client = PlatformClient(descriptor["token"], verify=verify, backoff=1.0)
            began = time.monotonic()
            with pytest.raises(UntrustedPlatformError) as refused:
                attempt(client)
            assert time.monotonic() - began < 1.0, what  # refused, not retried with back-off
            assert (
                refused.value.message_fr
                == "Le certificat HTTPS de la plateforme n'est pas reconnu : la connexion est refusée."
            )
            client.close()
    ranged = PlatformClient(
        descriptor["token"], backoff=1.0, range_connections=3, range_threshold=200_000, ranges_on_loopback=True
    )
    began = time.monotonic()
    with pytest.raises(UntrustedPlatformError):
        ranged.download(file["url"], tmp_path / "b.p7m", size=file["size"], sha256=file["sha256"])
    assert time.monotonic() - began < 1.0
    assert not list(tmp_path.glob("*.p7m"))  # no file takes a final name
    assert not (tmp_path / "a.p7m.part").exists()  # the direct path opens its .part only once answered
    stats = platform.stats.to_dict()
    assert stats["requests"] == {} and stats["uploads"] == {}


def test_a_missing_or_unreadable_ca_file_is_named_in_french(
    tls_demo: tuple[DemoPlatform, Path], tmp_path: Path
) -> None:
    platform, _ca = tls_demo
    missing = tmp_path / "absente.pem"
    with pytest.raises(PlatformCaError) as info:
        PlatformClient(None, verify=[str(missing)]).get_json(f"{platform.url}/api/descriptors/download")
    assert info.value.message_fr.startswith(
        "Autorité de certification des plateformes inutilisable (réglage « platform_ca_files »)"
    )
    assert str(missing) in info.value.message_fr
    garbage = tmp_path / "pas-un-certificat.pem"
    garbage.write_text("bonjour\n")
    with pytest.raises(PlatformCaError) as info:
        PlatformClient(None, verify=[str(garbage)]).download(
            f"{platform.url}/files/x", tmp_path / "x", size=1, sha256="0" * 64
        )
    assert "ce n'est pas un certificat PEM lisible" in info.value.message_fr
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.part").exists()


def test_jobs_share_one_trust_context_until_a_ca_file_changes(
    tls_demo: tuple[DemoPlatform, Path], tmp_path: Path
) -> None:
    """Each job has its own client; the system's roots are not read again for each (tens of ms
    on the first request of every HTTPS job), but a CA file changed in between is read again."""
    platform, ca = tls_demo
    copy = tmp_path / "ca-plateformes.pem"
    copy.write_bytes(ca.read_bytes())
    first, second = PlatformClient(None, verify=[str(copy)]), PlatformClient(None, verify=[str(copy)])
    for client in (first, second):
        assert client.get_json(f"{platform.url}/api/descriptors/download")["type"] == "download"
    assert first.transport.tls() is second.transport.tls()
    copy.write_text("bonjour\n")  # replaced by something else: not served from the shared one
    with pytest.raises(PlatformCaError) as info:
        PlatformClient(None, verify=[str(copy)]).get_json(f"{platform.url}/api/descriptors/download")
    assert "ce n'est pas un certificat PEM lisible" in info.value.message_fr
    for client in (first, second):
        client.close()


# -- added to the system's roots, not in their place ------------------------------------------


def test_extra_cas_are_added_to_the_system_roots(
    tls_demo: tuple[DemoPlatform, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second platform whose CA plays the system's roots (OpenSSL's SSL_CERT_FILE): with the
    demo CA added, both are trusted; a CA file given as the whole bundle (verify=str) would have
    dropped the system's roots."""
    platform, ca = tls_demo
    other, other_ca = _start(tmp_path / "autre")
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(other_ca))
        monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "vide"))
        for target in (platform, other):
            client = PlatformClient(None, verify=[str(ca)])
            assert client.get_json(f"{target.url}/api/info")["url"] == target.url
            client.close()
        with pytest.raises(UntrustedPlatformError):
            PlatformClient(None, verify=str(ca)).get_json(f"{other.url}/api/info")
        with pytest.raises(UntrustedPlatformError):
            PlatformClient(None).get_json(f"{platform.url}/api/info")  # system roots alone
    finally:
        other.stop()


# -- through a proxy (urllib3 for transfers, requests for descriptors) -------------------------


class _ConnectProxy(socketserver.ThreadingTCPServer):
    """A minimal HTTP CONNECT proxy, as enterprise networks have, counting its tunnels."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.tunnels: list[str] = []
        super().__init__(("127.0.0.1", 0), _ConnectHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ConnectHandler(socketserver.BaseRequestHandler):
    server: _ConnectProxy

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target = head.split(b" ", 2)[:2]
        if method != b"CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = target.decode().rpartition(":")
        self.server.tunnels.append(target.decode())
        upstream = socket.create_connection((host, int(port)))
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        sockets = [self.request, upstream]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], 10)
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(1 << 16)
                    if not data:
                        return
                    (upstream if sock is self.request else self.request).sendall(data)
        finally:
            upstream.close()


def test_through_a_proxy_the_same_trust_applies(
    tls_demo: tuple[DemoPlatform, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform, ca = tls_demo
    proxy = _ConnectProxy()
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setattr(transport_module, "proxy_for", lambda url: proxy.url)
        client = PlatformClient(None, verify=[str(ca)])
        descriptor = client.get_json(f"{platform.url}/api/descriptors/download")  # urllib3 via CONNECT
        client.close()
        file = _files(descriptor)[0]
        transfer = PlatformClient(descriptor["token"], verify=[str(ca)], backoff=1.0)
        transfer.download(
            file["url"], tmp_path / "ok.p7m", size=file["size"], sha256=file["sha256"]
        )  # urllib3 via CONNECT
        transfer.close()
        assert hashlib.sha256((tmp_path / "ok.p7m").read_bytes()).hexdigest() == file["sha256"]
        assert len(proxy.tunnels) >= 2 and set(proxy.tunnels) == {f"127.0.0.1:{platform.port}"}

        refusing = PlatformClient(descriptor["token"], backoff=1.0)
        began = time.monotonic()
        with pytest.raises(UntrustedPlatformError):
            refusing.download(file["url"], tmp_path / "ko.p7m", size=file["size"], sha256=file["sha256"])
        with pytest.raises(UntrustedPlatformError):
            refusing.get_json(f"{platform.url}/api/info")
        assert time.monotonic() - began < 1.0
        assert not (tmp_path / "ko.p7m").exists() and not (tmp_path / "ko.p7m.part").exists()
    finally:
        proxy.shutdown()
        proxy.server_close()


# -- the setting ------------------------------------------------------------------------------


def test_platform_ca_files_setting_loads_from_old_and_hand_written_files(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"tsa_url": "http://tsa.example", "allowed_hosts": ["cdn.example.fr"]}))
    assert Settings.load(old).platform_ca_files == []
    single = tmp_path / "single.json"
    single.write_text(json.dumps({"platform_ca_files": "/etc/entreprise/ca.pem"}))
    assert Settings.load(single).platform_ca_files == ["/etc/entreprise/ca.pem"]
    settings = Settings(platform_ca_files=["/etc/entreprise/ca.pem", "~/proxy-ca.pem"])
    saved = tmp_path / "saved.json"
    settings.save(saved)
    assert Settings.load(saved).platform_ca_files == ["/etc/entreprise/ca.pem", "~/proxy-ca.pem"]
