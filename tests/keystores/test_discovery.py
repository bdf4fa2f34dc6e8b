"""open_all_stores: every store at once, without secrets, one broken store never hiding the others."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from assistant.keystores.base import ModuleMissingError, StoreKind
from assistant.keystores.discovery import open_all_stores
from assistant.settings import Settings
from tests import pki
from tests.keystores import PinRecorder


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return home


def test_every_kind_of_store_is_listed_without_a_secret(
    home: Path, softhsm_token: pki.SoftHsmToken, nss_db: pki.NssDb, test_pki: pki.TestPki, tmp_path: Path
) -> None:
    shutil.copytree(nss_db.directory, home / ".pki" / "nssdb")
    settings = Settings(pkcs12_files=[str(test_pki.auth_only.files["p12"]), str(tmp_path / "disparu.p12")])
    pin = PinRecorder(None)
    stores = open_all_stores(pin, settings)
    try:
        kinds = {s.kind for s in stores.stores}
        assert {StoreKind.PKCS11, StoreKind.NSS, StoreKind.PKCS12} <= kinds
        # the missing file is reported, the others are still there
        assert [e.code for e in stores.errors] == ["file_not_found"]
        assert "disparu.p12" in stores.errors[0].message_fr
        by_kind: dict[StoreKind, set[str]] = {}
        for store in stores.stores:
            if store.kind is StoreKind.PKCS12:
                continue  # its certificate is encrypted: listing it needs the password
            by_kind.setdefault(store.kind, set()).update(c.fingerprint_sha256 for c in store.credentials())
        mine = {test_pki.signer.fingerprint, test_pki.signer_ec.fingerprint, test_pki.encryption.fingerprint}
        assert mine <= by_kind[StoreKind.PKCS11]
        assert by_kind[StoreKind.NSS] == mine
        assert pin.requests == []
    finally:
        stores.close()


def test_a_missing_module_in_the_settings_is_an_error_not_a_stop(home: Path, nss_db: pki.NssDb, tmp_path: Path) -> None:
    settings = Settings(
        pkcs11_modules=[str(tmp_path / "libcarte-absente.so")],
        pkcs11_autodiscover=False,
        nss_databases=[str(nss_db.directory)],
    )
    stores = open_all_stores(PinRecorder(None), settings)
    try:
        assert [type(e) for e in stores.errors] == [ModuleMissingError]
        assert [s.kind for s in stores.stores] == [StoreKind.NSS]
        assert len(list(stores.credentials())) == 3
    finally:
        stores.close()


def test_listing_twice_is_fast(home: Path, softhsm_token: pki.SoftHsmToken, nss_db: pki.NssDb) -> None:
    """Modules initialise once per process; a second listing does no C_Initialize and no login."""
    settings = Settings(nss_databases=[str(nss_db.directory)])
    first = open_all_stores(PinRecorder(None), settings)
    list(first.credentials())
    first.close()
    start = time.perf_counter()
    again = open_all_stores(PinRecorder(None), settings)
    count = len(list(again.credentials()))
    again.close()
    elapsed = time.perf_counter() - start
    assert count >= 6
    assert elapsed < 1.0, f"listing took {elapsed:.3f} s"  # the benchmark aims at < 0.3 s on an idle machine
