"""How a credential's signature is named in CMS and in XML-DSig, and how its bytes are laid out.

All three formats sign through `Credential.sign` (the key stays in its store); only the names of
the algorithms and, for ECDSA in XML, the layout of the signature value differ.
"""

from __future__ import annotations

from asn1crypto import algos

from assistant.errors import UsageError
from assistant.i18n import M_
from assistant.keystores.base import Credential, HashAlgorithm, SignatureMechanism, SignatureScheme


def choose_mechanism(credential: Credential, mechanism: SignatureMechanism | None = None) -> SignatureMechanism:
    """The caller's choice, or PKCS#1 v1.5 / ECDSA with SHA-256: what every validator accepts."""
    chosen = mechanism or credential.default_signature_mechanism(HashAlgorithm.SHA256)
    if chosen.hash is HashAlgorithm.SHA1:
        raise UsageError(M_("SHA-1 n'est plus admis pour une signature."))
    is_ec = credential.key_type == "EC"
    if is_ec != (chosen.scheme is SignatureScheme.ECDSA):
        raise UsageError(
            M_("Le mécanisme de signature ne correspond pas au type de la clé."),
        )
    return chosen


def cms_signature_algorithm(mechanism: SignatureMechanism) -> algos.SignedDigestAlgorithm:
    hash_name = mechanism.hash.value
    if mechanism.scheme is SignatureScheme.ECDSA:
        return algos.SignedDigestAlgorithm({"algorithm": f"{hash_name}_ecdsa"})
    if mechanism.scheme is SignatureScheme.RSA_PSS:
        return algos.SignedDigestAlgorithm(
            {
                "algorithm": "rsassa_pss",
                "parameters": algos.RSASSAPSSParams(
                    {
                        "hash_algorithm": {"algorithm": hash_name},
                        "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": hash_name}},
                        "salt_length": mechanism.hash.digest_size,
                    }
                ),
            }
        )
    return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"})


XMLDSIG_DIGEST = {
    HashAlgorithm.SHA256: "http://www.w3.org/2001/04/xmlenc#sha256",
    HashAlgorithm.SHA384: "http://www.w3.org/2001/04/xmldsig-more#sha384",
    HashAlgorithm.SHA512: "http://www.w3.org/2001/04/xmlenc#sha512",
}


def xmldsig_signature_method(mechanism: SignatureMechanism) -> str:
    hash_name = mechanism.hash.value
    if mechanism.scheme is SignatureScheme.ECDSA:
        return f"http://www.w3.org/2001/04/xmldsig-more#ecdsa-{hash_name}"
    if mechanism.scheme is SignatureScheme.RSA_PSS:
        return f"http://www.w3.org/2007/05/xmldsig-more#{hash_name}-rsa-MGF1"
    return f"http://www.w3.org/2001/04/xmldsig-more#rsa-{hash_name}"


def ecdsa_raw_from_der(der: bytes, key_size_bits: int) -> bytes:
    """XML-DSig wants ECDSA signatures as r||s of fixed width, where CMS wants DER."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(der)
    width = (key_size_bits + 7) // 8
    return r.to_bytes(width, "big") + s.to_bytes(width, "big")


def signature_size_estimate(credential: Credential) -> int:
    """Upper bound of the signature's length, for placeholders (never a real key operation)."""
    size = (credential.key_size + 7) // 8
    if credential.key_type == "EC":
        return 2 * (size + 3) + 3
    return size
