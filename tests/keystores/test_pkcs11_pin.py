"""PIN handling on tokens of their own: wrong PIN, locked PIN, PIN for every signature, logout.

Each scenario runs in a child process with its own SoftHSM2 configuration (see tests.keystores).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import pki
from tests.keystores import lock_softhsm_token, run_python


@pytest.fixture
def own_token(tmp_path: Path, test_pki: pki.TestPki) -> pki.SoftHsmToken:
    token = pki.make_softhsm(tmp_path / "hsm", label="jetons-pin")
    pki.import_into_softhsm(token, test_pki.signer, "01")
    return token


SIGN_WITH = """
stores = open_module_stores(load_module({module!r}), recorder({answers!r}))
store = stores[0]
cred = store.credentials()[0]
out["before"] = store.object_count()
results = []
for _ in range({attempts}):
    try:
        cred.sign(b"offre", SignatureMechanism(SignatureScheme.RSA_PKCS1V15))
        results.append("signed")
    except KeyStoreError as exc:
        results.append(error(exc))
out["results"] = results
store.close()
out["asked"] = asked
"""


def test_a_wrong_pin_is_asked_again_then_the_right_one_signs(own_token: pki.SoftHsmToken) -> None:
    answers = ["000000", "000000", "111111", own_token.pin]
    out = run_python(SIGN_WITH.format(module=own_token.module, answers=answers, attempts=1), env=own_token.env())
    # One signature, four questions: the wrong PIN does not fail it, it is asked again.
    assert out["results"] == ["signed"]
    asked = out["asked"]
    assert len(asked) == 4
    assert [a["retry"] for a in asked] == [False, True, True, True]
    # the token now says a wrong PIN was typed: the next prompts show the remaining-tries state
    assert [a["state"] for a in asked] == ["ok", "count_low", "count_low", "count_low"]


def test_wrong_pins_until_the_user_gives_up_are_reported(own_token: pki.SoftHsmToken) -> None:
    # The user types a wrong PIN, then the same one again (not sent to the card: no try spent),
    # then cancels: the job stops, saying the card refused the PIN.
    out = run_python(
        SIGN_WITH.format(module=own_token.module, answers=["000000", "000000"], attempts=1), env=own_token.env()
    )
    (result,) = out["results"]
    assert result["code"] == "pin_incorrect", result
    assert result["fr"].startswith("Code PIN incorrect pour « jetons-pin »")
    assert [a["retry"] for a in out["asked"]] == [False, True, True]
    # A callback that keeps answering wrong PINs is stopped after MAX_PIN_QUESTIONS, with the error.
    wrong = [f"{n}{n}{n}{n}{n}{n}" for n in range(1, 9)]
    out = run_python(SIGN_WITH.format(module=own_token.module, answers=wrong, attempts=1), env=own_token.env())
    (result,) = out["results"]
    assert len(out["asked"]) == 5
    assert result["error"] == "PinIncorrectError" and result["code"] == "pin_incorrect"
    assert result["fr"].startswith("Code PIN incorrect pour « jetons-pin »") and "essais restants" in result["fr"]
    assert not any(pin in result["fr"] for pin in wrong)


def test_wrong_pin_leaves_the_token_objects_unchanged(own_token: pki.SoftHsmToken) -> None:
    listing = """
store = open_module_stores(load_module({module!r}), recorder([{pin!r}]))[0]
store.login()
out["objects"] = store.object_count()
store.close()
"""
    before = run_python(listing.format(module=own_token.module, pin=own_token.pin), env=own_token.env())
    run_python(SIGN_WITH.format(module=own_token.module, answers=["999999"], attempts=1), env=own_token.env())
    after = run_python(listing.format(module=own_token.module, pin=own_token.pin), env=own_token.env())
    assert before["objects"] == after["objects"] == 3  # the signer's key pair and certificate


def test_a_locked_token_is_reported_without_asking_for_the_pin(own_token: pki.SoftHsmToken) -> None:
    lock_softhsm_token(own_token)
    out = run_python(
        SIGN_WITH.format(module=own_token.module, answers=[own_token.pin], attempts=1), env=own_token.env()
    )
    (result,) = out["results"]
    assert result["error"] == "PinLockedError"
    assert result["code"] == "pin_locked"
    assert "bloqué" in result["fr"] and "PUK" in result["fr"]
    assert out["asked"] == []  # never spend a PIN on a locked card


def test_listing_a_locked_token_still_works(own_token: pki.SoftHsmToken) -> None:
    lock_softhsm_token(own_token)
    out = run_python(
        f"""
store = open_module_stores(load_module({own_token.module!r}), recorder([]))[0]
out["labels"] = [c.label for c in store.credentials()]
""",
        env=own_token.env(),
    )
    assert out["labels"] == ["signer"]


def test_a_key_requiring_the_pin_for_each_signature(tmp_path: Path, test_pki: pki.TestPki) -> None:
    token = pki.make_softhsm(tmp_path / "hsm", label="carte-qualifiee")
    env = token.env()
    pki.run(
        [
            "pkcs11-tool",
            "--module",
            token.module,
            "--token-label",
            token.label,
            "--login",
            "--pin",
            token.pin,
            "--write-object",
            str(test_pki.signer.files["key"]),
            "--type",
            "privkey",
            "--id",
            "07",
            "--label",
            "signature",
            "--always-auth",
            "--sensitive",
        ],
        env={**os.environ, **env},
    )
    pki.run(
        [
            "pkcs11-tool",
            "--module",
            token.module,
            "--token-label",
            token.label,
            "--login",
            "--pin",
            token.pin,
            "--write-object",
            str(test_pki.signer.files["der"]),
            "--type",
            "cert",
            "--id",
            "07",
            "--label",
            "signature",
        ],
        env={**os.environ, **env},
    )
    out = run_python(
        f"""
store = open_module_stores(load_module({token.module!r}), recorder([{token.pin!r}] * 3 + ["000000"]))[0]
cred = store.credentials()[0]
out["always"] = cred.refresh_always_authenticate()
sigs = []
for i in range(2):
    sigs.append(cred.sign(b"page %d" % i, SignatureMechanism(SignatureScheme.RSA_PKCS1V15)).hex())
out["sigs"] = sigs
try:
    cred.sign(b"again", SignatureMechanism(SignatureScheme.RSA_PKCS1V15))
except KeyStoreError as exc:
    out["wrong"] = error(exc)
store.close()
out["asked"] = asked
""",
        env=env,
    )
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    assert out["always"] is True
    key = test_pki.signer.certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    for i, sig in enumerate(out["sigs"]):
        key.verify(bytes.fromhex(sig), b"page %d" % i, padding.PKCS1v15(), hashes.SHA256())
    # one login, then one context-specific PIN per signature, each saying why
    assert len(out["asked"]) == 4
    assert out["asked"][0]["reason"] == ""
    for request in out["asked"][1:]:
        assert "chaque signature" in request["reason"]
    assert out["wrong"]["error"] == "PinIncorrectError"


def test_closing_the_store_logs_out(own_token: pki.SoftHsmToken) -> None:
    out = run_python(
        f"""
pin = recorder([{own_token.pin!r}, {own_token.pin!r}])
first = open_module_stores(load_module({own_token.module!r}), pin)[0]
cred = first.credentials()[0]
cred.sign(b"a", SignatureMechanism(SignatureScheme.RSA_PKCS1V15))
cred.sign(b"b", SignatureMechanism(SignatureScheme.RSA_PKCS1V15))
out["after_batch"] = len(asked)
first.close()
second = open_module_stores(load_module({own_token.module!r}), pin)[0]
second.credentials()[0].sign(b"c", SignatureMechanism(SignatureScheme.RSA_PKCS1V15))
out["after_second"] = len(asked)
second.close()
""",
        env=own_token.env(),
    )
    assert out["after_batch"] == 1
    assert out["after_second"] == 2  # logged out at close: the PIN is not kept
