"""The only module that calls macOS: Security.framework and CoreFoundation through ctypes.

Everything that can be decided without macOS lives in `logic`; this module only moves bytes in and
out of the API, and releases every CoreFoundation object it creates. It refuses to import on other
platforms. The keychain (or the card's CryptoTokenKit driver) shows its own password/PIN dialog:
the assistant never sees that secret.
"""

from __future__ import annotations

import sys

if sys.platform != "darwin":  # pragma: no cover - the guard is what Linux tests check
    raise ImportError("assistant.keystores.macos._security can only be imported on macOS")

import ctypes
import ctypes.util
from typing import Any, NoReturn

from assistant.i18n import M_
from assistant.keystores.base import KeyStoreError
from assistant.keystores.macos import logic

_cf = ctypes.CDLL(
    ctypes.util.find_library("CoreFoundation") or "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation"
)
_sec = ctypes.CDLL(ctypes.util.find_library("Security") or "/System/Library/Frameworks/Security.framework/Security")

CFTypeRef = ctypes.c_void_p
OSStatus = ctypes.c_int32
CFIndex = ctypes.c_long


def _proto(dll: Any, name: str, restype: Any, *argtypes: Any) -> Any:
    fn = getattr(dll, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


CFRelease = _proto(_cf, "CFRelease", None, CFTypeRef)
CFDictionaryCreate = _proto(
    _cf,
    "CFDictionaryCreate",
    CFTypeRef,
    CFTypeRef,
    ctypes.POINTER(CFTypeRef),
    ctypes.POINTER(CFTypeRef),
    CFIndex,
    ctypes.c_void_p,
    ctypes.c_void_p,
)
CFArrayGetCount = _proto(_cf, "CFArrayGetCount", CFIndex, CFTypeRef)
CFArrayGetValueAtIndex = _proto(_cf, "CFArrayGetValueAtIndex", CFTypeRef, CFTypeRef, CFIndex)
CFDataCreate = _proto(_cf, "CFDataCreate", CFTypeRef, CFTypeRef, ctypes.c_char_p, CFIndex)
CFDataGetLength = _proto(_cf, "CFDataGetLength", CFIndex, CFTypeRef)
CFDataGetBytePtr = _proto(_cf, "CFDataGetBytePtr", ctypes.c_void_p, CFTypeRef)
CFErrorGetCode = _proto(_cf, "CFErrorGetCode", CFIndex, CFTypeRef)
CFStringGetCString = _proto(
    _cf, "CFStringGetCString", ctypes.c_bool, CFTypeRef, ctypes.c_char_p, CFIndex, ctypes.c_uint32
)
CFRetain = _proto(_cf, "CFRetain", CFTypeRef, CFTypeRef)
kCFStringEncodingUTF8 = 0x08000100

SecItemCopyMatching = _proto(_sec, "SecItemCopyMatching", OSStatus, CFTypeRef, ctypes.POINTER(CFTypeRef))
SecIdentityCopyCertificate = _proto(_sec, "SecIdentityCopyCertificate", OSStatus, CFTypeRef, ctypes.POINTER(CFTypeRef))
SecIdentityCopyPrivateKey = _proto(_sec, "SecIdentityCopyPrivateKey", OSStatus, CFTypeRef, ctypes.POINTER(CFTypeRef))
SecCertificateCopyData = _proto(_sec, "SecCertificateCopyData", CFTypeRef, CFTypeRef)
SecCertificateCopySubjectSummary = _proto(_sec, "SecCertificateCopySubjectSummary", CFTypeRef, CFTypeRef)
SecKeyCreateSignature = _proto(
    _sec, "SecKeyCreateSignature", CFTypeRef, CFTypeRef, CFTypeRef, CFTypeRef, ctypes.POINTER(CFTypeRef)
)
SecKeyCreateDecryptedData = _proto(
    _sec, "SecKeyCreateDecryptedData", CFTypeRef, CFTypeRef, CFTypeRef, CFTypeRef, ctypes.POINTER(CFTypeRef)
)


def _const(dll: Any, name: str) -> Any:
    return CFTypeRef.in_dll(dll, name)


def _data(value: bytes) -> Any:
    ref = CFDataCreate(None, value, len(value))
    if not ref:
        raise KeyStoreError(M_("Mémoire insuffisante."))
    return ref


def _bytes(data_ref: Any) -> bytes:
    return ctypes.string_at(CFDataGetBytePtr(data_ref), CFDataGetLength(data_ref))


def _string(ref: Any) -> str:
    if not ref:
        return ""
    buf = ctypes.create_string_buffer(1024)
    return buf.value.decode("utf-8") if CFStringGetCString(ref, buf, len(buf), kCFStringEncodingUTF8) else ""


def _raise_cf_error(error: Any, operation: str) -> NoReturn:
    code = CFErrorGetCode(error) if error else 0
    if error:
        CFRelease(error)
    raise logic.error_for(int(code), operation)


def _query(token: bool) -> Any:
    keys = [_const(_sec, "kSecClass"), _const(_sec, "kSecReturnRef"), _const(_sec, "kSecMatchLimit")]
    values = [_const(_sec, "kSecClassIdentity"), _const(_cf, "kCFBooleanTrue"), _const(_sec, "kSecMatchLimitAll")]
    if token:
        keys.append(_const(_sec, "kSecAttrAccessGroup"))
        values.append(_const(_sec, "kSecAttrAccessGroupToken"))
    n = len(keys)
    key_arr = (CFTypeRef * n)(*[k.value for k in keys])
    val_arr = (CFTypeRef * n)(*[v.value for v in values])
    return CFDictionaryCreate(
        None,
        key_arr,
        val_arr,
        n,
        ctypes.addressof(ctypes.c_char.in_dll(_cf, "kCFTypeDictionaryKeyCallBacks")),
        ctypes.addressof(ctypes.c_char.in_dll(_cf, "kCFTypeDictionaryValueCallBacks")),
    )


class IdentityRef:
    """A retained SecIdentityRef; released by close()."""

    def __init__(self, ref: Any) -> None:
        self.ref = ref

    def close(self) -> None:
        if self.ref:
            CFRelease(self.ref)
            self.ref = None


def list_identities() -> list[tuple[logic.Identity, IdentityRef]]:
    """Identities of the keychain search list (login keychain) and of CryptoTokenKit tokens."""
    out: list[tuple[logic.Identity, IdentityRef]] = []
    for token in (False, True):
        query = _query(token)
        result = CFTypeRef()
        try:
            status = SecItemCopyMatching(query, ctypes.byref(result))
        finally:
            CFRelease(query)
        if status == logic.ERR_SEC_ITEM_NOT_FOUND:
            continue
        if status != 0:
            if token:
                continue  # no token support (older macOS): the keychain list stands
            raise logic.error_for(status, "list")
        try:
            for i in range(CFArrayGetCount(result)):
                ident = CFArrayGetValueAtIndex(result, i)
                cert = CFTypeRef()
                if SecIdentityCopyCertificate(ident, ctypes.byref(cert)) != 0:
                    continue
                try:
                    data = SecCertificateCopyData(cert)
                    summary = SecCertificateCopySubjectSummary(cert)
                    der = _bytes(data)
                    label = _string(summary)
                    CFRelease(data)
                    if summary:
                        CFRelease(summary)
                finally:
                    CFRelease(cert)
                out.append((logic.Identity(der, label, on_token=token), IdentityRef(CFRetain(ident))))
        finally:
            CFRelease(result)
    return out


class PrivateKey:
    def __init__(self, identity: IdentityRef) -> None:
        key = CFTypeRef()
        status = SecIdentityCopyPrivateKey(identity.ref, ctypes.byref(key))
        if status != 0:
            raise logic.error_for(status, "sign")
        self.ref: Any = key

    def _run(self, fn: Any, algorithm_name: str, payload: bytes, operation: str) -> bytes:
        algorithm = _const(_sec, algorithm_name)
        data = _data(payload)
        error = CFTypeRef()
        try:
            out = fn(self.ref, algorithm, data, ctypes.byref(error))
        finally:
            CFRelease(data)
        if not out:
            _raise_cf_error(error, operation)
        try:
            return _bytes(out)
        finally:
            CFRelease(out)

    def sign_digest(self, digest: bytes, algorithm_name: str) -> bytes:
        return self._run(SecKeyCreateSignature, algorithm_name, digest, "sign")

    def decrypt(self, blob: bytes, algorithm_name: str) -> bytes:
        return self._run(SecKeyCreateDecryptedData, algorithm_name, blob, "decrypt")

    def close(self) -> None:
        if self.ref:
            CFRelease(self.ref)
            self.ref = None
