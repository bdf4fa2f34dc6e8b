"""Session-wide fixtures: an isolated ASSISTANT_HOME, the test PKI and the real stores.

Every store is made with the real tool (openssl, softhsm2-util/pkcs11-tool, certutil/pk12util).
When a tool is missing the fixture raises: the test fails, it never skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pki as pki_mod

# The tests read what the user sees in the product's first language, whatever the machine's locale
# (a developer's en_US desktop would otherwise switch the whole product to English); the English
# tests choose it explicitly (tests/test_i18n.py, tests/ui/test_language.py).
os.environ["ASSISTANT_LANG"] = "fr"


@pytest.fixture(autouse=True)
def assistant_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test runs on its own settings, data and logs (ASSISTANT_HOME), never the user's."""
    home = tmp_path / "assistant-home"
    home.mkdir()
    monkeypatch.setenv("ASSISTANT_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.setenv("ASSISTANT_NO_BROWSER", "1")
    return home


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> pki_mod.TestPki:
    return pki_mod.make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def softhsm_token(
    tmp_path_factory: pytest.TempPathFactory, test_pki: pki_mod.TestPki
) -> Iterator[pki_mod.SoftHsmToken]:
    """A SoftHSM2 token holding the qualified signer (id 01), the ECDSA signer (02) and the bi-clé (03).

    SOFTHSM2_CONF is set for the whole session: the module reads it once, when first loaded.
    """
    token = pki_mod.make_softhsm(tmp_path_factory.mktemp("softhsm"))
    pki_mod.import_into_softhsm(token, test_pki.signer, "01")
    pki_mod.import_into_softhsm(token, test_pki.signer_ec, "02")
    pki_mod.import_into_softhsm(token, test_pki.encryption, "03")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(token.conf)
    yield token
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture(scope="session")
def nss_db(tmp_path_factory: pytest.TempPathFactory, test_pki: pki_mod.TestPki) -> pki_mod.NssDb:
    """An NSS shared database with the signer, the ECDSA signer and the bi-clé, and the root as anchor."""
    return pki_mod.make_nss_db(
        tmp_path_factory.mktemp("nssdb"),
        [test_pki.signer, test_pki.signer_ec, test_pki.encryption],
        trust_anchor=test_pki.root,
    )


@pytest.fixture(scope="session", autouse=True)
def _softhsm_before_any_module_load(softhsm_token: pki_mod.SoftHsmToken) -> pki_mod.SoftHsmToken:
    """SoftHSM2 reads SOFTHSM2_CONF and scans its tokens once, when a process first loads it.

    Any test may load the module (discovery finds it through p11-kit), so the test token must exist
    and SOFTHSM2_CONF must point at it before the first test runs, whatever the order.
    """
    return softhsm_token
