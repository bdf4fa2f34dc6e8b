"""Pairing, the fallback when the browser cannot call the local bridge: the assistant polls the
platform for queued jobs with a token bound to this device and reports progress back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import secrets as keyring_secrets
from assistant.bridge import pairing
from assistant.bridge.origins import OriginRegistry
from tests.bridge.pairing_platform import PairingPlatform


@pytest.fixture(autouse=True)
def memory_secrets() -> Iterator[None]:
    """No OS keyring in the tests: the secrets module's own fallback (this process's memory only)."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)
    keyring_secrets._memory.clear()


@pytest.fixture
def platform() -> Iterator[PairingPlatform]:
    server = PairingPlatform()
    yield server
    server.close()


def test_pairing_needs_the_one_time_code(platform: PairingPlatform, assistant_home: Path) -> None:
    with pytest.raises(pairing.PairingError) as excinfo:
        pairing.pair(platform.url, "WRONG-CODE", allow_loopback_http=True)
    assert "refusé" in excinfo.value.message_fr
    with pytest.raises(pairing.PairingError) as excinfo:
        pairing.pair(platform.url, platform.new_code())  # http without the demo/test switch
    assert "HTTPS" in excinfo.value.message_fr
    code = platform.new_code()
    done = pairing.pair(platform.url + "/une/page", code, allow_loopback_http=True)
    assert done.origin == platform.url
    assert OriginRegistry().is_approved(platform.url)
    token = keyring_secrets.get_secret(done.secret_name)
    assert token and platform.tokens[token] == pairing.device_id()
    stored = (assistant_home / "data" / "bridge" / "pairings.json").read_text()
    assert token not in stored and json.loads(stored)[0]["origin"] == platform.url
    assert token not in "".join(p.read_text(errors="replace") for p in assistant_home.rglob("*") if p.is_file())
    with pytest.raises(pairing.PairingError):
        pairing.pair(platform.url, code, allow_loopback_http=True)  # single use


def test_paired_assistant_runs_the_platforms_jobs_and_reports_back(
    platform: PairingPlatform, start_bridge, assistant_home: Path
) -> None:
    run = start_bridge()
    done = pairing.pair(platform.url, platform.new_code(), allow_loopback_http=True)
    descriptor = platform.download_descriptor()
    platform.enqueue("ref-1", descriptor)
    poller = pairing.Poller(done, run.engine).start()
    try:
        statuses = platform.wait_status("ref-1", lambda s: s.get("state") == "succeeded")
    finally:
        poller.stop()
    states = [s["state"] for s in statuses]
    # The first report may already find the download asking where the plis go (waiting_user): the
    # report is sent once the job exists, and the job moves on meanwhile.
    assert states[0] in ("queued", "waiting_user", "running") and states[-1] == "succeeded", states
    assert "failed" not in states and "cancelled" not in states, states
    assert statuses[-1]["progress"]["percent"] == 100
    assert descriptor["token"] not in json.dumps(statuses)
    [job] = run.engine.jobs()
    assert job.origin == platform.url and job.type.value == "download"
    downloaded = list((assistant_home / "downloads").rglob("pli.bin"))
    assert [p.read_bytes() for p in downloaded] == [platform.files["pli.bin"]]
    # Every poll carried the device id with the token.
    polls = [h for method, path, h in platform.requests if path == "/assistant/v1/jobs/next"]
    assert polls and all(h["X-Assistant-Device"] == done.device_id for h in polls)


def test_a_platform_job_naming_another_origin_is_refused(platform: PairingPlatform, start_bridge) -> None:
    run = start_bridge()
    done = pairing.pair(platform.url, platform.new_code(), allow_loopback_http=True)
    platform.enqueue("ref-2", platform.download_descriptor(url_origin="https://ailleurs.example"))
    poller = pairing.Poller(done, run.engine).start()
    try:
        statuses = platform.wait_status("ref-2", lambda s: s.get("state") == "refused")
    finally:
        poller.stop()
    assert statuses[-1]["error"]["code"] == "url_not_allowed"
    assert statuses[-1]["error"]["field"].startswith("params.consultations[0]")
    assert run.engine.jobs() == []


def test_revocation_by_the_platform_stops_polling(platform: PairingPlatform, start_bridge) -> None:
    run = start_bridge()
    done = pairing.pair(platform.url, platform.new_code(), allow_loopback_http=True)
    platform.tokens.clear()  # the platform revoked this device
    poller = pairing.Poller(done, run.engine).start()
    assert poller.revoked.wait(10)
    poller.stop()
    assert keyring_secrets.get_secret(done.secret_name) is None
    assert pairing.load_pairings()[0].revoked
    assert pairing.start_pollers(run.engine) == []


def test_unpair_forgets_and_tells_the_platform(platform: PairingPlatform) -> None:
    done = pairing.pair(platform.url, platform.new_code(), allow_loopback_http=True)
    token = keyring_secrets.get_secret(done.secret_name)
    assert pairing.unpair(platform.url)
    assert token not in platform.tokens
    assert keyring_secrets.get_secret(done.secret_name) is None
    assert pairing.load_pairings() == []
    assert not pairing.unpair(platform.url)
