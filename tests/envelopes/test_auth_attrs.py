"""AuthEnvelopedData with authenticated attributes (RFC 5083 §2.1), which OpenSSL never writes.

The attributes come after the content but are GCM's additional data, needed before it: the
decryptor reads a file a second time with them. Built here with asn1crypto and cryptography.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from assistant.envelopes.cms_stream import GcmParameters
from assistant.envelopes.decrypt import decrypt_envelope
from assistant.envelopes.errors import IntegrityError, UnsupportedAlgorithmError
from assistant.keystores.base import Credential
from tests.envelopes.conftest import Recipients


def _auth_enveloped(recipients: Recipients, data: bytes) -> bytes:
    cert = asn1_x509.Certificate.load(recipients.ours.cert_der)
    key = os.urandom(16)
    nonce = os.urandom(12)
    public = recipients.ours.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    attrs = cms.CMSAttributes([{"type": "content_type", "values": ["data"]}])
    aad = attrs.dump()  # SET OF, tag 0x31: what GCM authenticates
    sealed = AESGCM(key).encrypt(nonce, data, aad)
    ciphertext, tag = sealed[:-16], sealed[-16:]
    ktri = cms.KeyTransRecipientInfo(
        {
            "version": "v0",
            "rid": cms.RecipientIdentifier(
                name="issuer_and_serial_number", value={"issuer": cert.issuer, "serial_number": cert.serial_number}
            ),
            "key_encryption_algorithm": {"algorithm": "rsaes_pkcs1v15"},
            "encrypted_key": public.encrypt(key, padding.PKCS1v15()),
        }
    )
    algorithm = algos.EncryptionAlgorithm(
        {
            "algorithm": "aes128_gcm",
            "parameters": core.Any.load(GcmParameters({"aes_nonce": nonce, "aes_icvlen": 16}).dump()),
        }
    )
    body = cms.AuthEnvelopedData(
        {
            "version": "v0",
            "recipient_infos": [cms.RecipientInfo(name="ktri", value=ktri)],
            "auth_encrypted_content_info": {
                "content_type": "data",
                "content_encryption_algorithm": algorithm,
                "encrypted_content": ciphertext,
            },
            "auth_attrs": attrs,
            "mac": tag,
        }
    )
    return cms.ContentInfo({"content_type": "authenticated_enveloped_data", "content": body}).dump()


def test_gcm_with_authenticated_attributes(
    recipients: Recipients, p12_credentials: list[Credential], tmp_path: Path
) -> None:
    data = os.urandom(100_000)
    env = tmp_path / "env.p7m"
    der = _auth_enveloped(recipients, data)
    env.write_bytes(der)
    result = decrypt_envelope(env, p12_credentials, tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == data
    assert result.algorithm == "AES-128-GCM"
    # one flipped bit in the attributes (the content-type OID's last byte): the tag no longer matches
    index = der.rfind(bytes.fromhex("06092a864886f70d010701"))  # id-data inside authAttrs, after the content
    assert index > len(data)
    bad = bytearray(der)
    bad[index + 10] ^= 0x04  # id-data (…7.1) -> …7.5: still a valid OID
    (tmp_path / "bad.p7m").write_bytes(bytes(bad))
    with pytest.raises(IntegrityError):
        decrypt_envelope(tmp_path / "bad.p7m", p12_credentials, tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


def test_gcm_with_authenticated_attributes_from_a_non_seekable_stream(
    recipients: Recipients, p12_credentials: list[Credential], tmp_path: Path
) -> None:
    """A download being decrypted on the fly cannot be read twice: a clear refusal, nothing written."""
    import io

    from assistant.envelopes.decrypt import decrypt_to_path

    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            return self._inner.readinto(buffer)

    der = _auth_enveloped(recipients, b"offre")
    with pytest.raises(UnsupportedAlgorithmError):
        decrypt_to_path(OneWay(der), p12_credentials, tmp_path / "out")  # type: ignore[arg-type]
    assert list(tmp_path.glob("*out*")) == []
    decrypt_to_path(io.BytesIO(der), p12_credentials, tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == b"offre"
