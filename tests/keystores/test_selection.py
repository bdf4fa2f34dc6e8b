"""resolve_key: every designation form, and what a page or a job may not name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.keystores.base import (
    KeyNotFoundError,
    ModuleMissingError,
    OperationNotPermittedError,
    SignatureMechanism,
    SignatureScheme,
    StoreKind,
)
from assistant.keystores.pkcs11.modules import loaded_modules
from assistant.keystores.selection import release, resolve_key
from assistant.settings import Settings
from tests import pki
from tests.keystores import PinRecorder


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No store of the machine's own user may leak into these tests."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return home


def _signs(credential: object) -> None:
    from assistant.keystores.base import Credential

    assert isinstance(credential, Credential)
    assert credential.sign(b"x", credential.default_signature_mechanism())


def test_uri_with_module_path_from_the_command_line(softhsm_token: pki.SoftHsmToken, test_pki: pki.TestPki) -> None:
    cred = resolve_key(softhsm_token.uri("signer"), PinRecorder(pki.TOKEN_PIN), settings=Settings())
    try:
        assert cred.certificate == test_pki.signer.certificate
        assert cred.store.kind is StoreKind.PKCS11
        _signs(cred)
    finally:
        release(cred)


def test_uri_without_module_finds_the_discovered_module(softhsm_token: pki.SoftHsmToken, test_pki: pki.TestPki) -> None:
    uri = f"pkcs11:token={pki.TOKEN_LABEL};id=%02"
    cred = resolve_key(uri, PinRecorder(pki.TOKEN_PIN), settings=Settings(), allow_module_path=False)
    try:
        assert cred.certificate == test_pki.signer_ec.certificate
    finally:
        release(cred)


def test_a_job_may_name_a_discovered_module(softhsm_token: pki.SoftHsmToken) -> None:
    cred = resolve_key(softhsm_token.uri("encryption"), PinRecorder(None), settings=Settings(), allow_module_path=False)
    release(cred)


def test_a_job_may_not_name_an_unknown_module(tmp_path: Path, softhsm_token: pki.SoftHsmToken) -> None:
    planted = tmp_path / "libplanted.so"
    shutil.copy(softhsm_token.module, planted)
    uri = f"pkcs11:token={pki.TOKEN_LABEL};object=signer?module-path={planted}"
    with pytest.raises(OperationNotPermittedError) as info:
        resolve_key(uri, PinRecorder(pki.TOKEN_PIN), settings=Settings(), allow_module_path=False)
    assert info.value.code == "module_refused"
    assert "ne peut pas désigner un module" in info.value.message_fr
    assert all(Path(m.path) != planted.resolve() for m in loaded_modules())  # never loaded
    # the same module, added by the user in the settings, is accepted
    cred = resolve_key(
        uri, PinRecorder(pki.TOKEN_PIN), settings=Settings(pkcs11_modules=[str(planted)]), allow_module_path=False
    )
    release(cred)


def test_missing_module(tmp_path: Path) -> None:
    with pytest.raises(ModuleMissingError) as info:
        resolve_key(f"pkcs11:token=X?module-path={tmp_path / 'libabsent.so'}", PinRecorder(None), settings=Settings())
    assert info.value.code == "module_missing"
    assert "introuvable" in info.value.message_fr and "middleware" in info.value.message_fr


def test_a_library_that_is_not_a_pkcs11_module(tmp_path: Path) -> None:
    import ctypes.util

    name = ctypes.util.find_library("z")
    assert name is not None
    libz = next(
        p
        for p in (
            Path("/usr/lib/x86_64-linux-gnu") / name,
            Path("/lib/x86_64-linux-gnu") / name,
            Path("/usr/lib/aarch64-linux-gnu") / name,
            Path("/usr/lib64") / name,
        )
        if p.exists()
    )
    with pytest.raises(ModuleMissingError) as info:
        resolve_key(f"pkcs11:token=X?module-path={libz}", PinRecorder(None), settings=Settings())
    assert "n'est pas un module PKCS#11" in info.value.message_fr


def test_uri_matching_nothing_or_several(softhsm_token: pki.SoftHsmToken) -> None:
    with pytest.raises(KeyNotFoundError) as info:
        resolve_key(softhsm_token.uri("absent"), PinRecorder(None), settings=Settings())
    assert "Aucun certificat ne correspond" in info.value.message_fr
    assert "module-path" not in info.value.message_fr
    with pytest.raises(KeyNotFoundError) as many:
        resolve_key(softhsm_token.uri(), PinRecorder(None), settings=Settings())
    assert many.value.code == "key_ambiguous"


def test_fingerprint_in_any_case_with_colons(
    softhsm_token: pki.SoftHsmToken, nss_db: pki.NssDb, test_pki: pki.TestPki
) -> None:
    fp = test_pki.signer_ec.fingerprint.upper()
    spec = "sha256:" + ":".join(fp[i : i + 2] for i in range(0, len(fp), 2))
    cred = resolve_key(spec, PinRecorder(pki.TOKEN_PIN), settings=Settings(nss_databases=[str(nss_db.directory)]))
    try:
        assert cred.certificate == test_pki.signer_ec.certificate
        assert cred.store.kind is StoreKind.PKCS11  # in both stores: the card is preferred
        assert cred.sign(b"x", SignatureMechanism(SignatureScheme.ECDSA))
    finally:
        release(cred)


def test_p12_path_only_from_the_user(test_pki: pki.TestPki) -> None:
    path = str(test_pki.signer.files["p12"])
    cred = resolve_key(path, PinRecorder(pki.P12_PASSWORD), settings=Settings())
    assert cred.certificate == test_pki.signer.certificate
    _signs(cred)
    with pytest.raises(OperationNotPermittedError) as info:
        resolve_key(path, PinRecorder(pki.P12_PASSWORD), settings=Settings(), allow_module_path=False)
    assert info.value.code == "path_refused"
    cred = resolve_key(
        path, PinRecorder(pki.P12_PASSWORD), settings=Settings(pkcs12_files=[path]), allow_module_path=False
    )
    assert cred.certificate == test_pki.signer.certificate


def test_vault_by_name(test_pki: pki.TestPki, assistant_home: Path) -> None:
    from assistant import paths

    folder = paths.data_dir() / "vault"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(test_pki.encryption.files["p12"], folder / "Acheteur.p12")
    cred = resolve_key("vault:Acheteur", PinRecorder(pki.P12_PASSWORD), settings=Settings())
    assert cred.certificate == test_pki.encryption.certificate
    assert cred.store.kind is StoreKind.VAULT
    with pytest.raises(KeyNotFoundError):
        resolve_key("vault:Autre", PinRecorder(pki.P12_PASSWORD), settings=Settings())


@pytest.mark.parametrize("spec", ["", "notes.txt", "C:\\cle.key"])
def test_unrecognised_designations(spec: str) -> None:
    with pytest.raises(KeyNotFoundError) as info:
        resolve_key(spec, PinRecorder(None), settings=Settings())
    assert info.value.message_fr
