"""The bridge serves only its own user's pages: connecting a page (code shown by the assistant,
typed into the page), access keys on every call, and the bridge's proof of identity."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from typing import Any

from assistant.bridge.access import AccessStore, proof_for
from tests.bridge.conftest import Running
from tests.bridge.helpers import call

PAGE = "https://marches.example.fr"
OTHER = "https://autre-plateforme.example"
DIAGNOSE = json.dumps({"version": 1, "type": "diagnose", "params": {}}).encode()


def _open_claim(run: Running, origin: str) -> dict[str, Any]:
    reply = call(run.bridge, "POST", "/v1/access", headers={"Origin": origin})
    assert reply.status == 202, reply.body
    assert reply.header("Access-Control-Allow-Origin") == origin  # the page reads its claim
    return dict(reply.json())


def _redeem(run: Running, origin: str, claim: str, code: str) -> Any:
    body = json.dumps({"code": code}).encode()
    return call(
        run.bridge,
        "POST",
        f"/v1/access/{claim}",
        body=body,
        headers={"Origin": origin, "Content-Type": "application/json"},
    )


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_page_is_connected_with_the_code_the_user_reads_in_the_assistant(start_bridge) -> None:
    run = start_bridge(answers={PAGE: True})
    opened = _open_claim(run, PAGE)
    assert opened["state"] == "pending" and opened["expires_in"] == 180 and opened["code_length"] == 6
    assert "code" not in opened  # the code is shown to the user, never sent to the page
    assert run.bridge.prompter is not None
    run.bridge.prompter.wait_idle()
    code = run.interaction.codes[PAGE]
    assert run.interaction.asked == [PAGE] and len(code) == 6 and code.isdigit()
    # A wrong code is refused (and counted), the right one gives the key, once.
    wrong = _redeem(run, PAGE, opened["claim"], _wrong(code))
    assert wrong.status == 403 and wrong.json()["code"] == "access_code_wrong"
    assert "6 chiffres" in wrong.json()["message"]
    granted = _redeem(run, PAGE, opened["claim"], code)
    assert granted.status == 200, granted.body
    key = granted.json()["key"]
    assert granted.json()["ca_fingerprint_sha256"] == run.bridge.identity.ca_fingerprint_sha256
    assert _redeem(run, PAGE, opened["claim"], code).status == 404  # single use
    assert run.bridge.registry.is_approved(PAGE)
    # With the key the page works; without it, or with another's, nothing but the status.
    assert (
        call(
            run.bridge,
            "POST",
            "/v1/jobs",
            body=DIAGNOSE,
            key=key,
            headers={"Origin": PAGE, "Content-Type": "application/json"},
        ).status
        == 202
    )
    missing = call(run.bridge, "GET", "/v1/jobs", headers={"Origin": PAGE}, key=None)
    assert missing.status == 401 and missing.json()["code"] == "access_required"
    assert "connectez-la" in missing.json()["message"]
    forged = call(run.bridge, "GET", "/v1/jobs", headers={"Origin": PAGE}, key=key[:-4] + "AAAA")
    assert forged.status == 401 and forged.json()["code"] == "access_refused"
    run.bridge.registry.approve(OTHER, persist=False)
    elsewhere = call(run.bridge, "GET", "/v1/jobs", headers={"Origin": OTHER}, key=key)
    assert elsewhere.status == 401  # a key is bound to the origin it was handed to
    assert (
        call(run.bridge, "GET", "/v1/jobs", headers={"Origin": PAGE}, key=key).json()["jobs"][0]["type"] == "diagnose"
    )
    # Only the key's hash is kept, in a file only the user can read.
    from assistant import paths

    stored = paths.data_dir() / "bridge" / "access.json"
    assert key not in stored.read_text() and hashlib.sha256(key.encode()).hexdigest() in stored.read_text()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


def test_the_code_is_needed_even_after_the_user_said_yes(start_bridge) -> None:
    """Another local user can open a claim with a forged Origin; the user may even say yes to the
    question it causes; without the code, shown only in the user's session, no key comes out."""
    run = start_bridge(answers={PAGE: True})
    opened = _open_claim(run, PAGE)
    run.bridge.prompter.wait_idle()
    code = run.interaction.codes[PAGE]
    for _ in range(3):
        assert _redeem(run, PAGE, opened["claim"], _wrong(code)).status == 403
    assert _redeem(run, PAGE, opened["claim"], code).status == 404  # three tries, then the claim is gone
    # Another origin cannot redeem a claim it did not open.
    second = _open_claim(run, PAGE)
    run.bridge.prompter.wait_idle()
    run.bridge.registry.approve(OTHER, persist=False)
    assert _redeem(run, OTHER, second["claim"], run.interaction.codes[PAGE]).status == 404
    assert run.bridge.api.access.origins() == {}


def test_a_refused_page_is_answered_no_without_asking_again(start_bridge) -> None:
    run = start_bridge(answers={OTHER: False})
    opened = _open_claim(run, OTHER)
    run.bridge.prompter.wait_idle()
    code = run.interaction.codes[OTHER]
    refused = _redeem(run, OTHER, opened["claim"], code)
    assert refused.status == 403 and refused.json()["code"] == "access_refused"
    again = call(run.bridge, "POST", "/v1/access", headers={"Origin": OTHER})
    assert again.status == 403 and again.json()["code"] == "access_refused"
    assert run.interaction.asked == [OTHER]
    assert not run.bridge.registry.is_approved(OTHER)


def test_pending_until_the_user_answers(start_bridge) -> None:
    import threading

    gate = threading.Event()
    run = start_bridge(answers={PAGE: True})
    original = run.interaction.approve_origin

    def slow(origin: str, code: str = "") -> bool:
        run.interaction.codes[origin] = code
        gate.wait(10)
        return original(origin, code)

    run.bridge.prompter._ask = slow  # the user takes a while to click
    opened = _open_claim(run, PAGE)
    for _ in range(50):
        if PAGE in run.interaction.codes:
            break
        threading.Event().wait(0.05)
    code = run.interaction.codes[PAGE]
    pending = _redeem(run, PAGE, opened["claim"], code)
    assert pending.status == 202 and pending.json() == {"state": "pending"}
    busy = call(run.bridge, "POST", "/v1/access", headers={"Origin": OTHER})
    assert busy.status == 429 and busy.json()["code"] == "question_busy"  # one question at a time
    gate.set()
    run.bridge.prompter.wait_idle()
    assert _redeem(run, PAGE, opened["claim"], code).status == 200


def test_the_bridge_proves_it_holds_the_pages_key(start_bridge) -> None:
    run = start_bridge(approved=(PAGE,))
    key = run.bridge.api.access.issue(PAGE)
    key_id = key.split("_")[1]
    nonce = "n0nce-0123456789abcdef"
    for tls in (True, False):
        port = run.bridge.https_port if tls else run.bridge.http_port
        reply = call(
            run.bridge, "GET", f"/v1/status?key={key_id}&nonce={nonce}", headers={"Origin": PAGE}, tls=tls, key=None
        )
        identity = reply.json()["identity"]
        fingerprint = run.bridge.identity.ca_fingerprint_sha256
        expected = hmac.new(
            hashlib.sha256(key.encode()).digest(),
            f"amp-bridge-proof\n{PAGE}\n{port}\n{nonce}\n{fingerprint}".encode(),
            hashlib.sha256,
        )
        assert identity["proof"] == expected.hexdigest()
        assert identity["proof"] == proof_for(hashlib.sha256(key.encode()).digest(), PAGE, port, nonce, fingerprint)
    # Nothing for another origin's key, an unknown key, or a page without a nonce.
    other = run.bridge.api.access.issue(OTHER).split("_")[1]
    for query in (f"key={other}&nonce={nonce}", f"key={'0' * 16}&nonce={nonce}", f"key={key_id}"):
        reply = call(run.bridge, "GET", f"/v1/status?{query}", headers={"Origin": PAGE}, key=None)
        assert reply.status == 200 and "identity" not in reply.json()


def test_withdrawing_an_approval_withdraws_the_keys(start_bridge) -> None:
    run = start_bridge()
    run.bridge.registry.approve(PAGE)
    key = run.bridge.api.access.issue(PAGE)
    assert call(run.bridge, "GET", "/v1/jobs", headers={"Origin": PAGE}, key=key).status == 200
    assert run.bridge.registry.revoke(PAGE)
    run.bridge.registry.approve(PAGE)  # approved again later: the old key stays dead
    assert call(run.bridge, "GET", "/v1/jobs", headers={"Origin": PAGE}, key=key).status == 401
    assert AccessStore().origins() == {}
