"""The whole loop a newcomer sees with `make run`: a page of the demo platform queues every kind
of job (origin = the demo platform), the assistant runs them with the demo credentials seeded in
its software vault, and the platform receives the results.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from assistant.demo.server import DemoPlatform
from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import HeadlessInteraction
from assistant.jobs.model import Job, JobState
from tests.demo.process import DemoProcess

PIN_ENV = "AMP_DEMO_VAULT_PASSWORD"
NEW_VAULT_ENV = "AMP_NEW_VAULT_PASSWORD"


def _run(engine: JobEngine, demo: DemoProcess, kind: str, query: str = "") -> Job:
    descriptor = demo.get(f"/api/descriptors/{kind}{'?' + query if query else ''}")
    job = engine.submit(descriptor, demo.url)
    final = engine.wait(job.id, timeout=120)
    assert final is not None
    assert final.state is JobState.SUCCEEDED, final.error
    return final


def test_every_job_from_the_demo_page(
    demo_platform: DemoProcess, assistant_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo process seeded the vault of the assistant it shares ASSISTANT_HOME with.
    assert sorted(p.name for p in (assistant_home / "data" / "vault").glob("*.p12")) == [
        "Démo Acheteur.p12",
        "Démo Signataire.p12",
    ]
    assert DemoPlatform(data_dir=demo_platform.data_dir).seed_assistant_credentials() == []  # idempotent
    monkeypatch.setenv(PIN_ENV, "demo")
    engine = JobEngine(interaction=HeadlessInteraction("vault:Démo Acheteur", PIN_ENV), loopback_http=True)
    try:
        # Download into the default folder, under the platform's name.
        download = _run(engine, demo_platform, "download", "consultation=DEMO-2026-003")
        folder = assistant_home / "downloads" / "Plateforme de démonstration" / "DEMO-2026-003"
        files = sorted(folder.rglob("*.p7m"))
        assert len(files) == 15 and download.result is not None and download.result.files == 15
        assert "downloads" not in str(download.to_public_dict())  # the page never sees the local path

        # Online opening with the demo bi-clé from the vault.
        opened = _run(engine, demo_platform, "open", "consultation=DEMO-2026-002")
        assert opened.result is not None and opened.result.uploaded == 15
        originals = demo_platform.data_dir / "originals" / "DEMO-2026-002"
        received = demo_platform.data_dir / "uploads" / "ouverture" / "DEMO-2026-002"
        for original in originals.rglob("*.zip"):
            got = received / original.relative_to(originals)
            assert hashlib.sha256(got.read_bytes()).digest() == hashlib.sha256(original.read_bytes()).digest()

        # Signing the platform's PDFs with the demo signer, then verifying what the platform got.
        engine.interaction = HeadlessInteraction("vault:Démo Signataire", PIN_ENV)
        signed = _run(engine, demo_platform, "sign", "format=pades")
        assert signed.result is not None and signed.result.signed == 2
        uploads = sorted((demo_platform.data_dir / "uploads" / "signatures").iterdir())
        assert len(uploads) == 2 and all(p.read_bytes().startswith(b"%PDF") for p in uploads)
        verified = _run(engine, demo_platform, "verify")
        assert verified.result is not None
        reports = verified.result.to_json()["reports"]
        assert len(reports) == 2 and all(r["signatures"] for r in reports)
        assert all("/" not in r["file"] for r in reports)  # names only, no local paths

        # A new bi-clé in the vault; its public certificate reaches the platform.
        monkeypatch.setenv(NEW_VAULT_ENV, "Un-mot-de-passe-solide-2026!")
        engine.interaction = HeadlessInteraction(None, NEW_VAULT_ENV)
        keygen = _run(engine, demo_platform, "keygen")
        cert = x509.load_pem_x509_certificate(
            (demo_platform.data_dir / "uploads" / "bicle" / "certificat.cer").read_bytes()
        )
        assert keygen.result is not None
        assert keygen.result.fingerprint_sha256 == cert.fingerprint(hashes.SHA256()).hex()
        assert "Démo Acheteur" in cert.subject.rfc4514_string()
        assert "location" not in keygen.result.to_json() and "cert_out" not in keygen.result.to_json()

        # The configuration test.
        diagnose = _run(engine, demo_platform, "diagnose")
        assert diagnose.result is not None and diagnose.result.to_json().get("checks")
    finally:
        engine.shutdown()
