"""The only module that calls Windows: crypt32 (the store), ncrypt (CNG keys), advapi32 (legacy CSP keys).

Everything that can be decided without Windows lives in `logic`; this module only moves bytes in and
out of the API. It refuses to import on other platforms, so nothing can reach `ctypes.WinDLL` by
accident on Linux or macOS.

Keys are acquired with CRYPT_ACQUIRE_CACHE_FLAG: Windows keeps the handle (and the card's PIN
session) for the certificate context, which gives one PIN prompt per batch as on the other stores.
The PIN dialog itself is Windows' own (or the middleware's): the assistant never sees that PIN.
"""

from __future__ import annotations

import sys

if sys.platform != "win32":  # pragma: no cover - the guard is what Linux tests check
    raise ImportError("assistant.keystores.windows._win32 can only be imported on Windows")

import ctypes
import hashlib
from ctypes import wintypes
from typing import Any

from assistant.keystores.base import DecryptionMechanism, KeyStoreError, SignatureMechanism
from assistant.keystores.windows import logic

DWORD = wintypes.DWORD
BOOL = wintypes.BOOL
PBYTE = ctypes.POINTER(ctypes.c_ubyte)
ULONG_PTR = ctypes.c_size_t
SECURITY_STATUS = ctypes.c_long

crypt32 = ctypes.WinDLL("crypt32.dll", use_last_error=True)
ncrypt = ctypes.WinDLL("ncrypt.dll")
advapi32 = ctypes.WinDLL("advapi32.dll", use_last_error=True)


class CERT_CONTEXT(ctypes.Structure):
    _fields_ = [
        ("dwCertEncodingType", DWORD),
        ("pbCertEncoded", PBYTE),
        ("cbCertEncoded", DWORD),
        ("pCertInfo", ctypes.c_void_p),
        ("hCertStore", ctypes.c_void_p),
    ]


PCCERT_CONTEXT = ctypes.POINTER(CERT_CONTEXT)


class CRYPT_KEY_PROV_INFO(ctypes.Structure):
    _fields_ = [
        ("pwszContainerName", wintypes.LPWSTR),
        ("pwszProvName", wintypes.LPWSTR),
        ("dwProvType", DWORD),
        ("dwFlags", DWORD),
        ("cProvParam", DWORD),
        ("rgProvParam", ctypes.c_void_p),
        ("dwKeySpec", DWORD),
    ]


class BCRYPT_PKCS1_PADDING_INFO(ctypes.Structure):
    _fields_ = [("pszAlgId", wintypes.LPCWSTR)]


class BCRYPT_PSS_PADDING_INFO(ctypes.Structure):
    _fields_ = [("pszAlgId", wintypes.LPCWSTR), ("cbSalt", wintypes.ULONG)]


class BCRYPT_OAEP_PADDING_INFO(ctypes.Structure):
    _fields_ = [("pszAlgId", wintypes.LPCWSTR), ("pbLabel", PBYTE), ("cbLabel", wintypes.ULONG)]


def _proto(dll: Any, name: str, restype: Any, *argtypes: Any) -> Any:
    fn = getattr(dll, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


CertOpenStore = _proto(
    crypt32, "CertOpenStore", ctypes.c_void_p, ctypes.c_void_p, DWORD, ULONG_PTR, DWORD, ctypes.c_void_p
)
CertCloseStore = _proto(crypt32, "CertCloseStore", BOOL, ctypes.c_void_p, DWORD)
CertEnumCertificatesInStore = _proto(
    crypt32, "CertEnumCertificatesInStore", PCCERT_CONTEXT, ctypes.c_void_p, PCCERT_CONTEXT
)
CertDuplicateCertificateContext = _proto(crypt32, "CertDuplicateCertificateContext", PCCERT_CONTEXT, PCCERT_CONTEXT)
CertFreeCertificateContext = _proto(crypt32, "CertFreeCertificateContext", BOOL, PCCERT_CONTEXT)
CertGetCertificateContextProperty = _proto(
    crypt32, "CertGetCertificateContextProperty", BOOL, PCCERT_CONTEXT, DWORD, ctypes.c_void_p, ctypes.POINTER(DWORD)
)
CryptAcquireCertificatePrivateKey = _proto(
    crypt32,
    "CryptAcquireCertificatePrivateKey",
    BOOL,
    PCCERT_CONTEXT,
    DWORD,
    ctypes.c_void_p,
    ctypes.POINTER(ULONG_PTR),
    ctypes.POINTER(DWORD),
    ctypes.POINTER(BOOL),
)
NCryptSignHash = _proto(
    ncrypt,
    "NCryptSignHash",
    SECURITY_STATUS,
    ULONG_PTR,
    ctypes.c_void_p,
    PBYTE,
    DWORD,
    PBYTE,
    DWORD,
    ctypes.POINTER(DWORD),
    DWORD,
)
NCryptDecrypt = _proto(
    ncrypt,
    "NCryptDecrypt",
    SECURITY_STATUS,
    ULONG_PTR,
    PBYTE,
    DWORD,
    ctypes.c_void_p,
    PBYTE,
    DWORD,
    ctypes.POINTER(DWORD),
    DWORD,
)
NCryptFreeObject = _proto(ncrypt, "NCryptFreeObject", SECURITY_STATUS, ULONG_PTR)
CryptCreateHash = _proto(
    advapi32, "CryptCreateHash", BOOL, ULONG_PTR, DWORD, ULONG_PTR, DWORD, ctypes.POINTER(ULONG_PTR)
)
CryptSetHashParam = _proto(advapi32, "CryptSetHashParam", BOOL, ULONG_PTR, DWORD, PBYTE, DWORD)
CryptSignHashW = _proto(
    advapi32, "CryptSignHashW", BOOL, ULONG_PTR, DWORD, wintypes.LPCWSTR, DWORD, PBYTE, ctypes.POINTER(DWORD)
)
CryptDestroyHash = _proto(advapi32, "CryptDestroyHash", BOOL, ULONG_PTR)
CryptGetUserKey = _proto(advapi32, "CryptGetUserKey", BOOL, ULONG_PTR, DWORD, ctypes.POINTER(ULONG_PTR))
CryptDecrypt = _proto(advapi32, "CryptDecrypt", BOOL, ULONG_PTR, ULONG_PTR, BOOL, DWORD, PBYTE, ctypes.POINTER(DWORD))
CryptDestroyKey = _proto(advapi32, "CryptDestroyKey", BOOL, ULONG_PTR)
CryptReleaseContext = _proto(advapi32, "CryptReleaseContext", BOOL, ULONG_PTR, DWORD)


def _last_error(operation: str) -> KeyStoreError:
    return logic.error_for(ctypes.get_last_error(), operation)


def _buffer(data: bytes) -> Any:
    return (ctypes.c_ubyte * max(len(data), 1)).from_buffer_copy(data or b"\0")


def _der(ctx: Any) -> bytes:
    return ctypes.string_at(ctx.contents.pbCertEncoded, ctx.contents.cbCertEncoded)


def _property(ctx: Any, prop_id: int) -> bytes | None:
    size = DWORD(0)
    if not CertGetCertificateContextProperty(ctx, prop_id, None, ctypes.byref(size)):
        return None
    buf = ctypes.create_string_buffer(size.value)
    if not CertGetCertificateContextProperty(ctx, prop_id, buf, ctypes.byref(size)):
        return None
    return buf.raw[: size.value]


class Store:
    """An open system store; contexts found in it stay valid until close()."""

    def __init__(self, location: logic.StoreLocation) -> None:
        self.handle = CertOpenStore(
            ctypes.c_void_p(logic.CERT_STORE_PROV_SYSTEM_W),
            0,
            0,
            location.open_flags(),
            ctypes.c_wchar_p(location.name),
        )
        if not self.handle:
            raise _last_error("open")
        self._contexts: list[Any] = []

    def candidates(self) -> list[tuple[logic.Candidate, Any]]:
        out: list[tuple[logic.Candidate, Any]] = []
        ctx = CertEnumCertificatesInStore(self.handle, None)
        while ctx:
            der = _der(ctx)
            info_raw = _property(ctx, logic.CERT_KEY_PROV_INFO_PROP_ID)
            provider = ""
            if info_raw is not None:
                info_buf = ctypes.create_string_buffer(info_raw, len(info_raw))
                info = ctypes.cast(info_buf, ctypes.POINTER(CRYPT_KEY_PROV_INFO)).contents
                provider = info.pwszProvName or ""
            friendly = _property(ctx, logic.CERT_FRIENDLY_NAME_PROP_ID)
            cand = logic.Candidate(
                der=der,
                thumbprint_sha1=hashlib.sha1(der, usedforsecurity=False).hexdigest().upper(),
                has_key_info=info_raw is not None,
                provider=provider,
                friendly_name=friendly.decode("utf-16-le").rstrip("\0") if friendly else "",
            )
            dup = CertDuplicateCertificateContext(ctx)
            self._contexts.append(dup)
            out.append((cand, dup))
            ctx = CertEnumCertificatesInStore(self.handle, ctx)  # frees the previous context
        return out

    def close(self) -> None:
        for ctx in self._contexts:
            CertFreeCertificateContext(ctx)
        self._contexts.clear()
        if self.handle:
            CertCloseStore(self.handle, 0)
            self.handle = None


class Key:
    """The private key of one certificate context: CNG handle, or legacy CSP provider + key spec."""

    def __init__(self, ctx: Any) -> None:
        handle = ULONG_PTR(0)
        spec = DWORD(0)
        caller_free = BOOL(False)
        flags = (
            logic.CRYPT_ACQUIRE_CACHE_FLAG
            | logic.CRYPT_ACQUIRE_COMPARE_KEY_FLAG
            | logic.CRYPT_ACQUIRE_PREFER_NCRYPT_KEY_FLAG
        )
        if not CryptAcquireCertificatePrivateKey(
            ctx, flags, None, ctypes.byref(handle), ctypes.byref(spec), ctypes.byref(caller_free)
        ):
            raise _last_error("sign")
        self.handle = handle.value
        self.spec = spec.value
        self.caller_free = bool(caller_free.value)

    @property
    def is_cng(self) -> bool:
        return self.spec == logic.CERT_NCRYPT_KEY_SPEC

    def sign_digest(self, digest: bytes, mechanism: SignatureMechanism) -> bytes:
        if self.is_cng:
            return self._cng_sign(digest, logic.cng_sign_params(mechanism))
        return self._capi_sign(digest, logic.capi_sign_alg(mechanism))

    def decrypt(self, blob: bytes, mechanism: DecryptionMechanism) -> bytes:
        if self.is_cng:
            return self._cng_decrypt(blob, logic.cng_decrypt_params(mechanism))
        return self._capi_decrypt(blob, logic.capi_decrypt_flags(mechanism))

    # -- CNG -----------------------------------------------------------------------------

    def _cng_sign(self, digest: bytes, params: logic.CngSignParams) -> bytes:
        info: Any = None
        if params.padding is logic.PaddingKind.PKCS1:
            info = BCRYPT_PKCS1_PADDING_INFO(params.hash_name)
        elif params.padding is logic.PaddingKind.PSS:
            info = BCRYPT_PSS_PADDING_INFO(params.hash_name, params.salt_length)
        pinfo = ctypes.byref(info) if info is not None else None
        digest_buf = _buffer(digest)
        size = DWORD(0)
        status = NCryptSignHash(self.handle, pinfo, digest_buf, len(digest), None, 0, ctypes.byref(size), params.flags)
        if status != 0:
            raise logic.error_for(status, "sign")
        out = (ctypes.c_ubyte * size.value)()
        status = NCryptSignHash(
            self.handle, pinfo, digest_buf, len(digest), out, size.value, ctypes.byref(size), params.flags
        )
        if status != 0:
            raise logic.error_for(status, "sign")
        return params.convert_signature(bytes(out[: size.value]))

    def _cng_decrypt(self, blob: bytes, params: logic.CngDecryptParams) -> bytes:
        info: Any = None
        label_buf = None
        if params.padding is logic.PaddingKind.OAEP:
            label_buf = _buffer(params.label) if params.label else None
            info = BCRYPT_OAEP_PADDING_INFO(params.hash_name, label_buf, len(params.label))
        pinfo = ctypes.byref(info) if info is not None else None
        data = _buffer(blob)
        size = DWORD(0)
        status = NCryptDecrypt(self.handle, data, len(blob), pinfo, None, 0, ctypes.byref(size), params.flags)
        if status != 0:
            raise logic.error_for(status, "decrypt")
        out = (ctypes.c_ubyte * max(size.value, 1))()
        status = NCryptDecrypt(self.handle, data, len(blob), pinfo, out, size.value, ctypes.byref(size), params.flags)
        if status != 0:
            raise logic.error_for(status, "decrypt")
        return bytes(out[: size.value])

    # -- CryptoAPI (legacy CSP) ------------------------------------------------------------

    def _capi_sign(self, digest: bytes, alg: int) -> bytes:
        hhash = ULONG_PTR(0)
        if not CryptCreateHash(self.handle, alg, 0, 0, ctypes.byref(hhash)):
            raise _last_error("sign")
        try:
            if not CryptSetHashParam(hhash.value, logic.HP_HASHVAL, _buffer(digest), 0):
                raise _last_error("sign")
            size = DWORD(0)
            if not CryptSignHashW(hhash.value, self.spec, None, 0, None, ctypes.byref(size)):
                raise _last_error("sign")
            out = (ctypes.c_ubyte * size.value)()
            if not CryptSignHashW(hhash.value, self.spec, None, 0, out, ctypes.byref(size)):
                raise _last_error("sign")
            return logic.capi_to_big_endian(bytes(out[: size.value]))
        finally:
            CryptDestroyHash(hhash.value)

    def _capi_decrypt(self, blob: bytes, flags: int) -> bytes:
        hkey = ULONG_PTR(0)
        if not CryptGetUserKey(self.handle, self.spec, ctypes.byref(hkey)):
            raise _last_error("decrypt")
        try:
            data = logic.capi_from_big_endian(blob)
            buf = (ctypes.c_ubyte * len(data)).from_buffer_copy(data)
            size = DWORD(len(data))
            if not CryptDecrypt(hkey.value, 0, True, flags, buf, ctypes.byref(size)):
                raise _last_error("decrypt")
            return bytes(buf[: size.value])
        finally:
            CryptDestroyKey(hkey.value)

    def close(self) -> None:
        if not self.caller_free or not self.handle:
            return  # cached by Windows with the certificate context
        if self.is_cng:
            NCryptFreeObject(self.handle)
        else:
            CryptReleaseContext(self.handle, 0)
        self.handle = 0
