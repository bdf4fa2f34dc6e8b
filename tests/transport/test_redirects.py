"""No request of the assistant follows a redirect to a URL the job's origin rule would refuse.

A real platform on 127.0.0.1 answers 302, 307 or 308 towards another port of 127.0.0.1 or another
host (127.0.0.2, a second loopback address). The servers there count every connection they accept:
for descriptor fetches, file downloads, PUT uploads, report uploads, pairing calls, timestamps and
CRL/OCSP fetches the count stays 0, and the job (or the call) fails with a French reason that names
neither the redirect's status nor its target (a page must not be able to scan ports through us).
Redirects the rule allows (same origin, a host allowed in the settings) are followed, a bounded
number of times, and never carry the job's token to another origin.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import secrets as keyring_secrets
from assistant.bridge import pairing
from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import HeadlessInteraction
from assistant.jobs.model import JobState
from assistant.platform.client import PlatformClient, RedirectRefusedError
from assistant.settings import Settings
from assistant.signing.timestamp import TimestampError, TsaClient
from assistant.transport import MAX_REDIRECTS, fetch

STATUSES = (302, 307, 308)
ELSEWHERE = ("other-port", "other-host")
PAYLOAD = bytes(range(256)) * 64
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        super().__init__((host, 0), handler)
        self.connections = 0
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        #: path prefix -> (status, absolute target base); the first matching prefix wins
        self.redirects: dict[str, tuple[int, str]] = {}
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.connections += 1  # every TCP connection accepted, before any byte is read
        return True

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.requests.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        for prefix, (status, target) in self.server.redirects.items():
            if self.path.startswith(prefix):
                self.send_response(status)
                self.send_header("Location", target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        status, content_type, answer = self.server.routes.get(
            self.path.split("?")[0], (200, "application/json", b'{"ok": true}')
        )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_PUT = do_POST = do_DELETE = _any

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def platform() -> Iterator[_Server]:
    server = _Server("127.0.0.1", _Handler)
    server.routes["/files/pli.p7m"] = (200, "application/octet-stream", PAYLOAD)
    yield server
    server.close()


@pytest.fixture
def elsewhere() -> Iterator[dict[str, _Server]]:
    """Where the redirects point: another port of the platform's address, and another host."""
    servers = {"other-port": _Server("127.0.0.1", _Handler), "other-host": _Server("127.0.0.2", _Handler)}
    for server in servers.values():
        server.routes["/files/pli.p7m"] = (200, "application/octet-stream", PAYLOAD)
    yield servers
    for server in servers.values():
        server.close()


def _download_descriptor(platform: _Server, file_url: str) -> dict[str, Any]:
    file = {"name": "pli.p7m", "url": file_url, "size": len(PAYLOAD), "sha256": DIGEST}
    return {
        "version": 1,
        "type": "download",
        "token": "jeton-de-la-plateforme-0123456789",
        "params": {
            "consultations": [
                {"id": "C1", "plis": [{"id": "Pli-01", "envelopes": [{"id": "Enveloppe-1", "files": [file]}]}]}
            ],
        },
    }


def _run(descriptor: dict[str, Any], origin: str, settings: Settings | None = None) -> Any:
    engine = JobEngine(interaction=HeadlessInteraction(), settings=settings or Settings(), loopback_http=True)
    try:
        job = engine.submit(descriptor, origin)
        return engine.wait(job.id, timeout=120)
    finally:
        engine.shutdown()


def _assert_silent_refusal(message: str, status: int, target: _Server) -> None:
    """The reason is clear and French, and tells nothing about what is behind the platform."""
    assert "vers une autre adresse" in message and "ne suit pas" in message, message
    port = str(target.server_address[1])
    for leak in (port, str(status), "127.0.0.2", "HTTP"):
        assert leak not in message, (leak, message)


# -- jobs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("where", ELSEWHERE)
def test_a_descriptor_redirected_elsewhere_fails_the_job_and_nothing_reaches_the_target(
    platform: _Server, elsewhere: dict[str, _Server], status: int, where: str
) -> None:
    target = elsewhere[where]
    platform.redirects["/descriptor"] = (status, target.url)
    descriptor = {
        "version": 1,
        "type": "download",
        "token": "jeton-0123456789abcdef",
        "params": {"descriptor_url": platform.url + "/descriptor"},
    }

    final = _run(descriptor, platform.url)

    assert final is not None and final.state is JobState.FAILED, final
    assert final.error.code == "redirect_refused", final.error
    _assert_silent_refusal(final.error.message, status, target)
    assert "(descripteur)" in final.error.message
    assert target.connections == 0 and target.requests == []
    assert [(m, p) for m, p, _h, _b in platform.requests] == [("GET", "/descriptor")]  # asked once, not retried


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("where", ELSEWHERE)
def test_a_file_redirected_elsewhere_is_not_fetched_from_there(
    platform: _Server, elsewhere: dict[str, _Server], status: int, where: str, assistant_home: Path
) -> None:
    target = elsewhere[where]
    platform.redirects["/files/"] = (status, target.url)

    final = _run(_download_descriptor(platform, platform.url + "/files/pli.p7m"), platform.url)

    assert final is not None and final.state is JobState.FAILED, final
    assert final.error.code == "redirect_refused", final.error
    _assert_silent_refusal(final.error.message, status, target)
    assert target.connections == 0 and target.requests == []
    assert list(assistant_home.rglob("pli.p7m*")) == []  # nothing half-written, nothing from elsewhere


def test_redirects_the_rule_allows_are_followed_without_the_token_leaving_its_origin(
    platform: _Server, elsewhere: dict[str, _Server]
) -> None:
    """Within the platform's origin any redirect is followed; to a host the user allowed in the
    settings too (a storage host), but the job's token stays with the platform."""
    platform.redirects["/descriptor"] = (302, platform.url + "/moved")
    platform.routes["/moved/descriptor"] = (
        200,
        "application/json",
        json.dumps(_download_descriptor(platform, platform.url + "/files/x/pli.p7m")).encode(),
    )
    storage = elsewhere["other-host"]
    platform.redirects["/files/x/"] = (307, storage.url)  # -> storage /files/x/pli.p7m
    storage.routes["/files/x/pli.p7m"] = (200, "application/octet-stream", PAYLOAD)
    descriptor = {
        "version": 1,
        "type": "download",
        "token": "jeton-0123456789abcdef",
        "params": {"descriptor_url": platform.url + "/descriptor"},
    }

    final = _run(descriptor, platform.url, Settings(allowed_hosts=["127.0.0.2"]))

    assert final is not None and final.state is JobState.SUCCEEDED, (final.state, final.error)
    assert [p for _m, p, _h, _b in storage.requests] == ["/files/x/pli.p7m"]
    assert "authorization" not in storage.requests[0][2]
    assert all(h.get("authorization", "").startswith("Bearer ") for _m, _p, h, _b in platform.requests)
    assert elsewhere["other-port"].connections == 0


def test_a_redirect_loop_within_the_origin_stops_after_a_few_hops(platform: _Server) -> None:
    platform.redirects["/boucle"] = (302, platform.url)  # -> itself, again and again
    client = PlatformClient("jeton", retries=0)
    try:
        with pytest.raises(RedirectRefusedError):
            client.get_json(platform.url + "/boucle")
    finally:
        client.close()
    assert len(platform.requests) == MAX_REDIRECTS + 1


# -- uploads ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("where", ELSEWHERE)
def test_uploads_and_reports_redirected_elsewhere_are_not_sent_there(
    platform: _Server, elsewhere: dict[str, _Server], status: int, where: str, tmp_path: Path
) -> None:
    target = elsewhere[where]
    platform.redirects["/uploads/"] = (status, target.url)
    signed = tmp_path / "offre.pdf.p7s"
    signed.write_bytes(PAYLOAD)
    client = PlatformClient("jeton-de-la-plateforme", backoff=0.01)
    try:
        with pytest.raises(RedirectRefusedError) as upload:
            client.upload(
                platform.url + "/uploads/offre.pdf.p7s", signed, what="envoi de la signature"
            )  # PUT of a file
        with pytest.raises(RedirectRefusedError) as report:
            client.upload(
                platform.url + "/uploads/rapport.json",
                b'{"valide": true}',
                content_type="application/json",
                what="envoi du rapport",
            )
    finally:
        client.close()
    _assert_silent_refusal(upload.value.message_fr, status, target)
    _assert_silent_refusal(report.value.message_fr, status, target)
    assert target.connections == 0 and target.requests == []
    assert [m for m, _p, _h, _b in platform.requests] == ["PUT", "PUT"]


@pytest.mark.parametrize("status", STATUSES)
def test_a_verification_job_does_not_send_its_report_elsewhere(
    platform: _Server, elsewhere: dict[str, _Server], status: int
) -> None:
    """The job's report (PUT report_url) under the job's rule: the page's origin only."""
    target = elsewhere["other-host"]
    platform.redirects["/reports/"] = (status, target.url)
    file = {"name": "pli.p7m", "url": platform.url + "/files/pli.p7m", "size": len(PAYLOAD), "sha256": DIGEST}
    descriptor = {
        "version": 1,
        "type": "verify",
        "token": "jeton-0123456789abcdef",
        "params": {"files": [file], "report_url": platform.url + "/reports/r.json"},
    }

    final = _run(descriptor, platform.url)

    assert final is not None and final.state is JobState.FAILED, final
    assert final.error.code == "redirect_refused", final.error
    _assert_silent_refusal(final.error.message, status, target)
    assert "(envoi du rapport)" in final.error.message
    assert target.connections == 0 and target.requests == []
    assert [(m, p) for m, p, _h, _b in platform.requests] == [("GET", "/files/pli.p7m"), ("PUT", "/reports/r.json")]


def test_a_307_within_the_origin_sends_the_whole_body_again(platform: _Server, tmp_path: Path) -> None:
    platform.redirects["/uploads/"] = (307, platform.url + "/ailleurs")
    source = tmp_path / "enveloppe.bin"
    source.write_bytes(PAYLOAD)
    client = PlatformClient("jeton")
    try:
        client.upload(platform.url + "/uploads/enveloppe.bin", source)
    finally:
        client.close()
    sent = [(m, p, b == PAYLOAD) for m, p, _h, b in platform.requests]
    assert sent == [("PUT", "/uploads/enveloppe.bin", True), ("PUT", "/ailleurs/uploads/enveloppe.bin", True)]


# -- pairing ------------------------------------------------------------------------------------


@pytest.fixture
def memory_secrets() -> Iterator[None]:
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)
    keyring_secrets._memory.clear()


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("where", ELSEWHERE)
def test_pairing_calls_redirected_elsewhere_are_not_followed(
    platform: _Server, elsewhere: dict[str, _Server], status: int, where: str, memory_secrets: None
) -> None:
    target = elsewhere[where]
    platform.routes[pairing.PAIR_PATH] = (200, "application/json", json.dumps({"token": "t" * 32}).encode())
    platform.redirects["/assistant/v1/pair"] = (status, target.url)
    with pytest.raises(RedirectRefusedError) as refused:
        pairing.pair(platform.url, "CODE-123456", allow_loopback_http=True)
    _assert_silent_refusal(refused.value.message_fr, status, target)

    del platform.redirects["/assistant/v1/pair"]
    paired = pairing.pair(platform.url, "CODE-123456", allow_loopback_http=True)
    platform.redirects["/assistant/"] = (status, target.url)
    with pytest.raises(RedirectRefusedError):
        pairing.Poller(paired, engine=_NoEngine()).poll_once()
    assert pairing.unpair(platform.url) is True  # the DELETE is refused quietly; the pairing is gone locally
    assert target.connections == 0 and target.requests == []
    assert [m for m, _p, _h, _b in platform.requests] == ["POST", "POST", "GET", "DELETE"]


class _NoEngine:
    def subscribe(self, callback: Any) -> Any:
        return lambda: None


# -- services: timestamps, CRL, OCSP -------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("where", ELSEWHERE)
def test_timestamp_and_revocation_fetches_redirected_elsewhere_are_not_followed(
    platform: _Server, elsewhere: dict[str, _Server], status: int, where: str
) -> None:
    target = elsewhere[where]
    platform.redirects["/"] = (status, target.url)
    tsa = TsaClient(platform.url + "/tsa")
    try:
        with pytest.raises(TimestampError) as timestamp:
            tsa.timestamp(hashlib.sha256(b"signature").digest())
    finally:
        tsa.close()
    assert (
        "autre adresse" in timestamp.value.message_fr
        and str(target.server_address[1]) not in timestamp.value.message_fr
    )
    with pytest.raises(RedirectRefusedError):
        fetch(platform.url + "/crl/ca.crl", what="liste de révocation")
    with pytest.raises(RedirectRefusedError):
        fetch(platform.url + "/ocsp", what="OCSP", data=b"0\x03\x02\x01\x00", content_type="application/ocsp-request")
    assert target.connections == 0 and target.requests == []
    assert [m for m, _p, _h, _b in platform.requests] == ["POST", "GET", "POST"]


def test_a_crl_moved_within_its_origin_is_fetched() -> None:
    server = _Server("127.0.0.1", _Handler)
    try:
        server.redirects["/ancienne"] = (301, server.url + "/nouvelle")
        server.routes["/nouvelle/ancienne/ca.crl"] = (200, "application/pkix-crl", b"crl")
        reply = fetch(server.url + "/ancienne/ca.crl", what="liste de révocation")
    finally:
        server.close()
    assert reply.status == 200 and reply.body == b"crl"


def test_verification_downloads_redirected_elsewhere_are_refused(
    platform: _Server, elsewhere: dict[str, _Server]
) -> None:
    """Trusted lists, CRLs and OCSP fetched by `assistant verify --online` / `trusted-lists update`."""
    from assistant.signing.errors import SigningCode
    from assistant.signing.fetching import FetchError
    from assistant.signing.fetching import fetch as fetch_document

    target = elsewhere["other-host"]
    platform.redirects["/tsl/"] = (302, target.url)
    with pytest.raises(FetchError) as refused:
        fetch_document(platform.url + "/tsl/FR.xml", what="liste de confiance")
    assert refused.value.code == SigningCode.FETCH_REFUSED and "Redirection refusée" in refused.value.message_fr
    assert target.connections == 0


def test_a_service_may_move_from_http_to_https_on_the_same_host_only() -> None:
    from assistant.transport import same_origin, same_server

    assert same_server("http://crl.example.fr/ca.crl", "https://crl.example.fr/ca.crl")
    assert same_server("http://crl.example.fr:80/ca.crl", "https://crl.example.fr:443/v2/ca.crl")
    assert same_server("http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b")
    assert not same_server("https://crl.example.fr/ca.crl", "http://crl.example.fr/ca.crl")  # never down to http
    assert not same_server("http://crl.example.fr/ca.crl", "https://autre.example.fr/ca.crl")
    assert not same_server("http://127.0.0.1:8080/a", "https://127.0.0.1:8443/a")
    assert not same_origin("http://crl.example.fr/ca.crl", "https://crl.example.fr/ca.crl")  # platforms: strict
