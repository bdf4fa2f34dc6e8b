"""RSAES-OAEP decoding (RFC 8017 §7.1.2) of a block the token decrypted with raw RSA.

Some tokens implement CKM_RSA_PKCS_OAEP with SHA-1 only (SoftHSM 2.6, several older cards), while
French platforms' envelopes increasingly use OAEP with SHA-256. The token then does the private-key
operation (CKM_RSA_X_509: the key still never leaves it) and the padding is removed here. Every
failure raises the same ValueError so that the padding check leaks nothing about which step failed.
"""

from __future__ import annotations

import hashlib
import hmac


def _mgf1(seed: bytes, length: int, hash_name: str) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.new(hash_name, seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def oaep_decode(block: bytes, key_bytes: int, hash_name: str, mgf1_hash_name: str, label: bytes | None) -> bytes:
    h_len = hashlib.new(hash_name).digest_size
    em = block.rjust(key_bytes, b"\x00")
    if len(em) != key_bytes or key_bytes < 2 * h_len + 2:
        raise ValueError("decryption error")
    y, masked_seed, masked_db = em[0], em[1 : 1 + h_len], em[1 + h_len :]
    seed = bytes(a ^ b for a, b in zip(masked_seed, _mgf1(masked_db, h_len, mgf1_hash_name), strict=True))
    db = bytes(a ^ b for a, b in zip(masked_db, _mgf1(seed, len(masked_db), mgf1_hash_name), strict=True))
    l_hash = hashlib.new(hash_name, label or b"").digest()
    good = hmac.compare_digest(db[:h_len], l_hash) & (y == 0)
    rest = db[h_len:]
    index = -1
    for i, byte in enumerate(rest):
        if byte == 1 and index < 0:
            index = i
        elif byte != 0 and index < 0:
            good = False
    if not good or index < 0:
        raise ValueError("decryption error")
    return rest[index + 1 :]
