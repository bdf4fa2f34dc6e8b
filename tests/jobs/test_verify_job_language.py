"""A page's verify job: its report is in the user's language with the same codes in every language,
and it trusts the authorities of the user's settings — never one the page names.

Real parts: a PAdES signature by pyHanko with the test PKI, served by a local HTTP server as a
platform would, fetched and verified by the engine's verify job."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant import i18n
from assistant.jobs.descriptor import LocalOnlyFieldError
from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import HeadlessInteraction
from assistant.jobs.model import JobState
from assistant.jobs.results import VerifyResult
from assistant.keystores.base import Credential
from assistant.settings import Settings
from assistant.signing import SignFormat, sign_files
from tests import pki
from tests.signing.conftest import make_pdf, p12_credential, p12_pin  # noqa: F401 - fixtures


@pytest.fixture
def platform(tmp_path: Path, p12_credential: Credential) -> Iterator[tuple[str, dict[str, Any]]]:
    """(origin, the remote file of a signed PDF it serves)."""
    signed = sign_files(p12_credential, [make_pdf(tmp_path / "Offre.pdf", "Prix 1000 EUR")], SignFormat.PADES)
    path = signed.results[0].output
    assert path is not None
    body = path.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    remote = {"name": "Offre signée.pdf", "url": f"{origin}/f/1", "size": len(body), "sha256": _sha256(body)}
    try:
        yield origin, remote
    finally:
        server.shutdown()
        server.server_close()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _run(settings: Settings, origin: str, params: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    engine = JobEngine(
        interaction=HeadlessInteraction(), settings=settings, journal_path=tmp_path / "j.sqlite3", loopback_http=True
    )
    try:
        job = engine.submit({"version": 1, "type": "verify", "params": params}, origin)
        final = engine.wait(job.id, timeout=120)
        assert final is not None and final.state is JobState.SUCCEEDED, final and final.error
        assert isinstance(final.result, VerifyResult)
        report = final.result.to_json()["reports"][0]
        assert "error" not in report, report
        signature: dict[str, Any] = report["signatures"][0]
        return signature
    finally:
        engine.shutdown(wait=True)


@pytest.fixture
def language() -> Iterator[Any]:
    before = i18n.current_language()
    yield i18n.set_language
    i18n.set_language(before)


def test_a_pages_verify_job_speaks_the_users_language(
    platform: tuple[str, dict[str, Any]], tmp_path: Path, language: Any
) -> None:
    origin, remote = platform
    language("en")
    english = _run(Settings(), origin, {"files": [remote]}, tmp_path / "en")
    assert (
        english["verdict"] == "The signature is intact, but the certificate could not be validated (see the remarks)."
    )
    texts = [p["text"] for p in english["problems"]]
    assert "The certificate does not chain to an authority this computer trusts." in texts
    assert english["qualified_label"].startswith("claims to be qualified; not confirmed by the trusted list")
    language("fr")
    french = _run(Settings(), origin, {"files": [remote]}, tmp_path / "fr")
    assert french["verdict"].startswith("Signature intègre, mais le certificat n'a pas pu être validé")
    assert french["verdict_code"] == english["verdict_code"] == "not_validated"
    assert [p["code"] for p in french["problems"]] == [p["code"] for p in english["problems"]]


def test_a_pages_verify_job_trusts_the_users_settings_not_the_page(
    platform: tuple[str, dict[str, Any]], tmp_path: Path, test_pki: pki.TestPki
) -> None:
    origin, remote = platform
    root = str(test_pki.root.files["cert"])
    # The page cannot name an authority: the job is refused before any work.
    engine = JobEngine(
        interaction=HeadlessInteraction(), settings=Settings(), journal_path=tmp_path / "j.sqlite3", loopback_http=True
    )
    try:
        with pytest.raises(LocalOnlyFieldError):
            engine.submit({"version": 1, "type": "verify", "params": {"files": [remote], "trust": [root]}}, origin)
    finally:
        engine.shutdown(wait=True)
    # The user's own authority (Options avancées) applies to the page's verification too.
    trusted = _run(Settings(verify_trust_anchors=[root]), origin, {"files": [remote]}, tmp_path / "settings")
    assert trusted["trusted"] and trusted["verdict_code"] == "valid", trusted["problems"]
