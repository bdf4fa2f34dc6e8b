"""`assistant keygen`: bi-clés made inside SoftHSM2, NSS and the vault; OpenSSL encrypts, we decrypt.

Each run uses its own fresh store (a new SoftHSM2 token, a new NSS database) so that the shared
session fixtures keep their exact content. The commands run as the user runs them, in a
subprocess, secrets passed through environment variables.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography import x509

from tests import pki as pki_mod
from tests.envelopes.helpers import openssl_encrypt, sample_data

STRONG = "Ouverture-des-plis-2026!"


def assistant(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"assistant {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


@pytest.fixture
def fresh_token(tmp_path: Path) -> pki_mod.SoftHsmToken:
    return pki_mod.make_softhsm(tmp_path / "hsm", label="bicle-token")


READ_ATTRIBUTES = r"""
import json, sys, pkcs11
from pkcs11 import Attribute, ObjectClass
lib = pkcs11.lib(sys.argv[1])
token = lib.get_token(token_label=sys.argv[2])
out = []
with token.open(user_pin=sys.argv[3]) as session:
    for key in session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}):
        entry = {"label": key[Attribute.LABEL]}
        for name in ("SENSITIVE", "EXTRACTABLE", "ALWAYS_SENSITIVE", "NEVER_EXTRACTABLE", "TOKEN", "PRIVATE",
                     "DECRYPT", "MODULUS_BITS"):
            try:
                entry[name] = key[getattr(Attribute, name)]
            except Exception as exc:
                entry[name] = type(exc).__name__
        try:
            key[Attribute.PRIVATE_EXPONENT]
            entry["private_exponent_readable"] = True
        except pkcs11.exceptions.AttributeSensitive:
            entry["private_exponent_readable"] = False
        out.append(entry)
print(json.dumps(out, default=str))
"""


def test_keygen_on_softhsm_key_not_extractable_openssl_encrypts_we_decrypt(
    fresh_token: pki_mod.SoftHsmToken, tmp_path: Path
) -> None:
    env = {**fresh_token.env(), "TOKEN_PIN": fresh_token.pin}
    store = f"pkcs11:token={fresh_token.label}?module-path={quote(fresh_token.module)}"
    cert_out = tmp_path / "bicle.pem"
    run = assistant(
        "keygen",
        "--name",
        "Jean DUPONT",
        "--store",
        store,
        "--cert-out",
        str(cert_out),
        "--pin-env",
        "TOKEN_PIN",
        "--json",
        env=env,
    )
    info = json.loads(run.stdout)
    cert = x509.load_pem_x509_certificate(cert_out.read_bytes())
    assert cert.subject.rfc4514_string() == "CN=Clé de déchiffrement de Jean DUPONT"
    assert cert.public_key().key_size == 3072  # type: ignore[union-attr]
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_encipherment and ku.data_encipherment and not ku.digital_signature
    days = (cert.not_valid_after_utc - cert.not_valid_before_utc).days
    assert 729 <= days <= 731
    assert info["key_attributes"]["extractable"] is False and info["key_attributes"]["sensitive"] is True
    assert fresh_token.pin not in run.stdout + run.stderr

    # the attributes, read back by an independent PKCS#11 client
    read = subprocess.run(
        [sys.executable, "-c", READ_ATTRIBUTES, fresh_token.module, fresh_token.label, fresh_token.pin],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    (key,) = json.loads(read.stdout)
    assert key["label"] == "Clé de déchiffrement de Jean DUPONT"
    assert key["SENSITIVE"] is True and key["EXTRACTABLE"] is False
    assert key["ALWAYS_SENSITIVE"] is True and key["NEVER_EXTRACTABLE"] is True
    assert key["TOKEN"] is True and key["PRIVATE"] is True and key["DECRYPT"] is True
    assert key["private_exponent_readable"] is False
    listing = pki_mod.run(
        [
            "pkcs11-tool",
            "--module",
            fresh_token.module,
            "--token-label",
            fresh_token.label,
            "--login",
            "--pin",
            fresh_token.pin,
            "--list-objects",
            "--type",
            "privkey",
        ],
        env={**os.environ, **env},
    ).stdout.decode()
    assert "never extractable" in listing and "always sensitive" in listing

    # the certificate verifies with OpenSSL (self-signed by the token's key)
    pki_mod.run(["openssl", "verify", "-CAfile", str(cert_out), "-partial_chain", str(cert_out)])

    # OpenSSL encrypts to it, the assistant decrypts with the key on the token
    data = sample_data(300_000)
    (tmp_path / "offre.zip").write_bytes(data)
    for cipher, padding in (("aes-256-cbc", "pkcs1"), ("aes-256-gcm", "oaep-sha256")):
        env_file = openssl_encrypt(
            tmp_path / "offre.zip",
            tmp_path / f"offre-{cipher}.zip.p7m",
            [cert_out],
            cipher=cipher,
            padding=padding,
            stream=True,
        )
        key_uri = (
            f"pkcs11:token={fresh_token.label};object={quote('Clé de déchiffrement de Jean DUPONT')}"
            f"?module-path={quote(fresh_token.module)}"
        )
        out = tmp_path / f"out-{cipher}"
        assistant(
            "decrypt",
            str(env_file),
            "--key",
            key_uri,
            "--pin-env",
            "TOKEN_PIN",
            "--out-dir",
            str(out),
            "--json",
            env=env,
        )
        assert (out / f"offre-{cipher}.zip").read_bytes() == data


def test_keygen_in_the_vault_with_backup(tmp_path: Path, assistant_home: Path) -> None:
    env = {"VAULT_PW": STRONG, "BACKUP_PW": "Sauvegarde-secours-2026#"}
    cert_out = tmp_path / "bicle.pem"
    backup = tmp_path / "bicle-sauvegarde.p12"
    run = assistant(
        "keygen",
        "--name",
        "Service achats",
        "--store",
        "vault",
        "--key-size",
        "2048",
        "--cert-out",
        str(cert_out),
        "--backup-p12",
        str(backup),
        "--password-env",
        "BACKUP_PW",
        "--pin-env",
        "VAULT_PW",
        "--validity-days",
        "365",
        env=env,
    )
    assert "sans cette clé privée ou sa sauvegarde" in run.stdout
    assert STRONG not in run.stdout + run.stderr
    vault_file = assistant_home / "data" / "vault" / "Service achats.p12"
    assert stat.S_IMODE(vault_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(cert_out.read_bytes())
    assert cert.subject.rfc4514_string() == "CN=Clé de déchiffrement de Service achats"
    # the backup opens with OpenSSL and holds the same certificate
    dumped = pki_mod.run(
        ["openssl", "pkcs12", "-in", str(backup), "-nokeys", "-passin", "env:BACKUP_PW"], env={**os.environ, **env}
    ).stdout
    assert x509.load_pem_x509_certificate(dumped[dumped.index(b"-----BEGIN") :]) == cert
    # OpenSSL encrypts; the vault key and the backup both decrypt
    (tmp_path / "plain").write_bytes(b"offre")
    env_file = openssl_encrypt(tmp_path / "plain", tmp_path / "offre.p7m", [cert_out], cipher="aes-128-gcm")
    assistant(
        "decrypt",
        str(env_file),
        "--key",
        "vault:Service achats",
        "--pin-env",
        "VAULT_PW",
        "--out-dir",
        str(tmp_path / "o1"),
        env=env,
    )
    assert (tmp_path / "o1" / "offre").read_bytes() == b"offre"
    assistant(
        "decrypt",
        str(env_file),
        "--key",
        str(backup),
        "--pin-env",
        "BACKUP_PW",
        "--out-dir",
        str(tmp_path / "o2"),
        env=env,
    )
    assert (tmp_path / "o2" / "offre").read_bytes() == b"offre"


def test_vault_lists_without_password_asks_once_to_decrypt_and_can_use_the_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding

    from assistant import secrets
    from assistant.envelopes.bicle import create_bicle
    from assistant.keystores.base import DecryptionMechanism, DecryptionScheme, PinRequest
    from assistant.keystores.vault import Vault

    monkeypatch.setattr(secrets, "_keyring_usable", lambda: False)  # the tests' null keyring keeps nothing
    monkeypatch.setattr(secrets, "_memory", {})
    result = create_bicle("vault", "Marie Curie", lambda r: None, key_size=2048, vault_password=STRONG)
    assert secrets.get_secret("vault:Marie Curie") is None  # never kept unless asked
    asked: list[PinRequest] = []

    def answer(request: PinRequest) -> str:
        asked.append(request)
        return STRONG

    vault = Vault(answer)
    (cred,) = vault.credentials()
    assert asked == []  # the certificate is public: listing asks nothing
    assert cred.fingerprint_sha256 == result.fingerprint_sha256
    assert cred.store.kind.value == "vault" and cred.store.uri == "vault:Marie Curie"
    public = cred.certificate.public_key()
    blob = public.encrypt(b"k" * 32, rsa_padding.PKCS1v15())  # type: ignore[union-attr]
    assert cred.decrypt(blob, DecryptionMechanism(DecryptionScheme.RSA_PKCS1V15)) == b"k" * 32
    assert [(r.kind, r.store_label) for r in asked] == [("password", "Coffre de l'assistant (Marie Curie)")]
    vault.close()

    create_bicle(
        "vault", "Pierre Curie", lambda r: None, key_size=2048, vault_password=STRONG, remember_vault_password=True
    )
    assert secrets.get_secret("vault:Pierre Curie") == STRONG  # only because the user asked
    vault = Vault(lambda r: pytest.fail("the keyring should have answered"))
    (pierre,) = [c for c in vault.credentials() if c.store.uri == "vault:Pierre Curie"]
    blob = pierre.certificate.public_key().encrypt(b"p" * 16, rsa_padding.PKCS1v15())  # type: ignore[union-attr]
    assert pierre.decrypt(blob, DecryptionMechanism(DecryptionScheme.RSA_PKCS1V15)) == b"p" * 16
    vault.close()


def test_weak_password_refused_before_anything_is_made(tmp_path: Path, assistant_home: Path) -> None:
    run = assistant(
        "keygen",
        "--name",
        "X",
        "--store",
        "vault",
        "--cert-out",
        str(tmp_path / "c.pem"),
        "--pin-env",
        "PW",
        "--no-backup",
        env={"PW": "azerty"},
        check=False,
    )
    assert run.returncode == 1 and "Mot de passe trop faible" in run.stderr
    assert not (tmp_path / "c.pem").exists()
    assert not (assistant_home / "data" / "vault").exists() or not any((assistant_home / "data" / "vault").iterdir())


def test_keygen_in_a_new_nss_database(tmp_path: Path) -> None:
    from assistant.envelopes.decrypt import decrypt_envelope
    from assistant.keystores.pkcs11.nss import open_database

    db = pki_mod.make_nss_db(tmp_path / "nssdb", [])
    cert_out = tmp_path / "nss.pem"
    run = assistant(
        "keygen",
        "--name",
        "Paul Martin",
        "--store",
        f"nss:{db.directory}",
        "--key-size",
        "2048",
        "--cert-out",
        str(cert_out),
        "--pin-env",
        "NSS_PW",
        "--json",
        env={"NSS_PW": db.password},
    )
    info = json.loads(run.stdout)
    assert info["store_kind"] == "nss" and info["key_attributes"]["sensitive"] is True
    assert any("pk12util" in w for w in info["warnings"])
    # NSS's own tools see the certificate and its key
    certs = pki_mod.run(["certutil", "-L", "-d", db.spec]).stdout.decode()
    line = next(line for line in certs.splitlines() if "Clé de déchiffrement de Paul Martin" in line)
    assert line.split()[-1] == "u,u,u"  # "u": NSS paired the certificate with its private key
    pw = tmp_path / "pw"
    pw.write_text(db.password)
    keys = pki_mod.run(["certutil", "-K", "-d", db.spec, "-f", str(pw)]).stdout.decode()
    assert "rsa" in keys and "Paul Martin" in keys
    # the backup command the warning gives works
    pki_mod.run(
        [
            "pk12util",
            "-o",
            str(tmp_path / "backup.p12"),
            "-n",
            "Clé de déchiffrement de Paul Martin",
            "-d",
            db.spec,
            "-W",
            STRONG,
            "-k",
            str(pw),
        ]
    )
    assert (tmp_path / "backup.p12").stat().st_size > 1000
    (tmp_path / "plain").write_bytes(b"bid")
    env_file = openssl_encrypt(tmp_path / "plain", tmp_path / "env", [cert_out], padding="oaep-sha1")
    store = open_database(db.directory, lambda r: db.password)
    try:
        decrypt_envelope(env_file, store.credentials(), tmp_path / "out")
    finally:
        store.close()
    assert (tmp_path / "out").read_bytes() == b"bid"


def test_second_mode_reuses_an_encryption_certificate_and_refuses_a_signature_one(
    test_pki: pki_mod.TestPki, tmp_path: Path
) -> None:
    env = {"P12_PW": pki_mod.P12_PASSWORD}
    out = tmp_path / "reused.pem"
    run = assistant(
        "keygen",
        "--from-cert",
        str(test_pki.encryption.files["p12"]),
        "--cert-out",
        str(out),
        "--pin-env",
        "P12_PW",
        "--json",
        env=env,
    )
    assert json.loads(run.stdout)["reused"] is True
    assert x509.load_pem_x509_certificate(out.read_bytes()) == test_pki.encryption.certificate
    refused = tmp_path / "refused.pem"
    run = assistant(
        "keygen",
        "--from-cert",
        str(test_pki.signer.files["p12"]),
        "--cert-out",
        str(refused),
        "--pin-env",
        "P12_PW",
        env=env,
        check=False,
    )
    assert run.returncode == 1
    assert "ne peut pas servir de bi-clé de chiffrement" in run.stderr and "keyEncipherment absent" in run.stderr
    assert not refused.exists()
    run = assistant(
        "keygen",
        "--from-cert",
        str(test_pki.signer_ec.files["p12"]),
        "--cert-out",
        str(refused),
        "--pin-env",
        "P12_PW",
        env=env,
        check=False,
    )
    assert run.returncode == 1 and "RSA" in run.stderr


def test_vault_without_backup_is_worded_for_each_front_end(tmp_path: Path, assistant_home: Path) -> None:
    # The command line names its option; the job's result (what the window and the history show)
    # names the window's checkbox and no option.
    run = assistant(
        "keygen",
        "--name",
        "Sans copie",
        "--store",
        "vault",
        "--key-size",
        "2048",
        "--cert-out",
        str(tmp_path / "c.pem"),
        "--pin-env",
        "PW",
        "--no-backup",
        env={"PW": STRONG, "ASSISTANT_LANG": "fr"},
    )
    assert "créez-le de nouveau avec l'option --backup-p12 FICHIER" in run.stdout
    assert "cochant" not in run.stdout
    run = assistant(
        "keygen",
        "--name",
        "Sans copie 2",
        "--store",
        "vault",
        "--key-size",
        "2048",
        "--cert-out",
        str(tmp_path / "c2.pem"),
        "--pin-env",
        "PW",
        "--no-backup",
        env={"PW": STRONG, "ASSISTANT_LANG": "en"},
    )
    assert "create it again with the --backup-p12 FILE option" in run.stdout

    from assistant.envelopes.bicle import create_bicle

    made = create_bicle("vault", "Fenêtre", lambda request: None, vault_password=STRONG, key_size=2048)
    assert any("« Enregistrer une copie chiffrée du bi-clé (fichier .p12) »" in w for w in made.warnings_fr)
    assert any("Save an encrypted copy of the key pair (.p12 file)" in w for w in made.warnings_en)
    assert not any("--backup" in w for w in made.warnings_fr + made.warnings_en)
