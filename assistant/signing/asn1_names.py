"""RFC 4518 string preparation of certificate names, computed once per distinct value.

pyHanko and pyhanko-certvalidator compare and index certificate names through asn1crypto, which
prepares each attribute value (RFC 4518: mapping, Unicode normalisation, prohibited characters)
once per parsed object. pyHanko copies every certificate it reads from a signature (`untag()`),
so verifying 100 signatures of one signer prepared the same few strings thousands of times: about
half of the time spent per CAdES file. The preparation is a pure function of the string, so
memoising it changes no result (a string asn1crypto rejects still raises, every time).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

from asn1crypto import x509

MEMO_SIZE = 4096  # distinct name values; a bid's signatures share a handful of CAs and signers

_lock = threading.Lock()


def install() -> None:
    """Memoise asn1crypto's name-value preparation for this process (idempotent)."""
    with _lock:
        cls = x509.NameTypeAndValue
        current = cls.__dict__["_ldap_string_prep"]
        if getattr(current, "_memoised", False):
            return
        original: Callable[[object, str], str] = current

        @functools.lru_cache(maxsize=MEMO_SIZE)
        def _prep(string: str) -> str:
            return original(None, string)  # the method reads nothing from its object

        def _ldap_string_prep(_self: object, string: str) -> str:
            return _prep(string)

        _ldap_string_prep._memoised = True  # type: ignore[attr-defined]
        cls._ldap_string_prep = _ldap_string_prep  # type: ignore[method-assign]
