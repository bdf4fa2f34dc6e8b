"""Bulk download and online opening over HTTPS, against `assistant demo --tls` as its own process.

Real platforms are HTTPS only; this is the path users take. The demo makes a CA at start and
writes its certificate with `--ca-out`; the assistant trusts it only because the local user put
it in the settings (`platform_ca_files`). Without it, the job is refused at once with the French
message and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import DownloadSummary, HeadlessInteraction
from assistant.jobs.model import Job, JobState
from assistant.progress import CancelToken
from assistant.settings import Settings
from tests import pki
from tests.demo.process import DemoProcess, assistant_cmd, assistant_env
from tests.demo.scenarios import cut_kill_and_resume, open_online_with_softhsm

UNTRUSTED_FR = "Le certificat HTTPS de la plateforme n'est pas reconnu : la connexion est refusée."


class TlsDemoProcess(DemoProcess):
    """`assistant demo --tls --ca-out FILE`; the test's own requests trust that CA alone."""

    def __init__(self, home: Path, data_dir: Path, *extra: str) -> None:
        self.ca = data_dir.parent / "demo-ca.pem"
        super().__init__(home, data_dir, "--tls", "--ca-out", str(self.ca), *extra)

    def _open(self, request: urllib.request.Request | str) -> Any:
        context = ssl.create_default_context(cafile=str(self.ca))  # read each time: a restart makes a new CA
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return json.loads(response.read())

    def get(self, path: str) -> Any:
        return self._open(self.url + path)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._open(
            urllib.request.Request(
                self.url + path,
                data=json.dumps(body).encode(),
                method="POST",
                headers={"Content-Type": "application/json"},
            )
        )


def trust(home: Path, ca: Path) -> None:
    """What the local user (IT) does: `assistant platform-ca add FILE`."""
    result = subprocess.run(
        assistant_cmd("platform-ca", "add", str(ca)),
        env=assistant_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert Settings.load(home / "config" / "settings.json").platform_ca_files == [str(ca)]


@pytest.fixture
def tls_demo(tmp_path: Path, assistant_home: Path) -> Iterator[TlsDemoProcess]:
    """3 consultations x 5 plis x 3 envelopes, encrypted by OpenSSL, served over HTTPS by a separate process."""
    pki.require_tool("openssl")
    process = TlsDemoProcess(assistant_home, tmp_path / "demo-data", "--file-size", str(160 * 1024))
    process.start()
    yield process
    process.kill()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expected_files(descriptor: dict[str, Any]) -> dict[str, tuple[int, str]]:
    out = {}
    for c in descriptor["params"]["consultations"]:
        for p in c["plis"]:
            for e in p["envelopes"]:
                for f in e["files"]:
                    assert f["url"].startswith("https://127.0.0.1:")
                    out[f"{c['id']}/{p['id']}/{e['id']}/{f['name']}"] = (f["size"], f["sha256"])
    return out


def test_https_download_survives_cuts_and_a_kill_without_refetching_verified_files(
    tls_demo: TlsDemoProcess, tmp_path: Path
) -> None:
    trust(tls_demo.home, tls_demo.ca)
    descriptor = tls_demo.get("/api/descriptors/download")
    expected = expected_files(descriptor)
    assert len(expected) == 45  # 3 consultations x 5 plis x 3 envelopes
    dest = tmp_path / "Plis téléchargés"
    # The server's cuts tear TLS down without close_notify; each one must be resumed with Range.
    env = assistant_env(tls_demo.home)
    env.pop("ASSISTANT_DEMO")  # HTTPS needs no demo exception: the assistant's normal rules apply
    cut_kill_and_resume(tls_demo, env, dest, expected, min_resumed_cuts=6)


def test_https_download_without_the_ca_is_refused_at_once_and_writes_nothing(
    tls_demo: TlsDemoProcess, tmp_path: Path
) -> None:
    dest = tmp_path / "Plis"
    env = assistant_env(tls_demo.home)
    began = time.monotonic()
    result = subprocess.run(
        assistant_cmd("download", f"{tls_demo.url}/api/descriptors/download", "--dest", str(dest), "--json", "--quiet"),
        env=env,
        capture_output=True,
        timeout=60,
    )
    elapsed = time.monotonic() - began
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["state"] == "failed"
    assert report["error"]["code"] == "platform_certificate"
    assert report["error"]["message"] == UNTRUSTED_FR
    assert UNTRUSTED_FR in result.stderr.decode()
    assert elapsed < 8  # no back-off: the retries alone would take over 15 s
    assert not dest.exists()
    assert tls_demo.stats()["requests"] == {}


def test_https_files_of_an_inline_descriptor_are_refused_without_the_ca(
    tls_demo: TlsDemoProcess, tmp_path: Path
) -> None:
    """A page hands the descriptor itself (no descriptor fetch): the first transfer is refused and
    the job stops there with the French reason (every other file would be refused the same way);
    no file is written and no empty consultation/pli/enveloppe folder is left behind."""
    descriptor = tls_demo.get("/api/descriptors/download?consultation=DEMO-2026-001")

    class User(HeadlessInteraction):
        def choose_download_folder(
            self,
            job: Job,
            proposed: Path,
            summary: DownloadSummary,
            *,
            error: str = "",
            cancel: CancelToken | None = None,
        ) -> Path | None:
            return tmp_path / "Plis"

    engine = JobEngine(interaction=User(), settings=Settings())
    try:
        began = time.monotonic()
        job = engine.submit(descriptor, tls_demo.url)
        final = engine.wait(job.id, timeout=60)
        elapsed = time.monotonic() - began
    finally:
        engine.shutdown()
    assert final is not None and final.state is JobState.FAILED
    assert final.error is not None and final.error.code == "platform_certificate", final.error
    assert final.error.message == UNTRUSTED_FR, final.error
    assert elapsed < 5
    assert list((tmp_path / "Plis").rglob("*")) == []
    assert tls_demo.stats()["requests"] == {}


def test_https_online_opening_delivers_the_original_bytes(
    tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki, softhsm_token: pki.SoftHsmToken
) -> None:
    pki.require_tool("openssl")
    demo = TlsDemoProcess(
        assistant_home,
        tmp_path / "demo-data",
        "--consultations",
        "1",
        "--plis",
        "2",
        "--envelopes",
        "3",
        "--file-size",
        str(100 * 1024),
        "--recipient-cert",
        str(test_pki.encryption.files["cert"]),
    )
    demo.start()
    try:
        trust(assistant_home, demo.ca)
        env = assistant_env(assistant_home)
        env.pop("ASSISTANT_DEMO")  # HTTPS needs no demo exception
        open_online_with_softhsm(demo, env, assistant_home, softhsm_token)
    finally:
        demo.kill()
