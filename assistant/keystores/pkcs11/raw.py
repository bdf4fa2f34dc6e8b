"""The few PKCS#11 calls python-pkcs11 does not expose, made through ctypes on the same module.

python-pkcs11 (the library pyHanko uses) covers slots, sessions, object search and creation, and we
use it for those. It cannot do four things this backend needs, so they are here, small and alone:

* `C_Initialize` with arguments: NSS's softoken refuses to start without its `LibraryParameters`
  (where its databases are), and every module is better off told it may use OS locking;
* `C_Login` / `C_Logout` on an existing session (python-pkcs11 logs in only by opening a new
  session, and leaks that session when the PIN is wrong);
* `C_GetTokenInfo` flags read fresh (PIN counters change after each attempt);
* sign and decrypt with a context-specific login between `C_SignInit` and `C_Sign`, which keys
  marked CKA_ALWAYS_AUTHENTICATE require on every use.

`dlopen`/`LoadLibrary` of the same path returns the module already loaded by python-pkcs11, so
both layers talk to the same function table and the same sessions.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CK_ULONG = ctypes.c_ulong
CK_RV = ctypes.c_ulong
_PACK = 1 if sys.platform == "win32" else 0  # cryptoki structures are packed to 1 byte on Windows

# Return values we act on
CKR_OK = 0x0
CKR_CANCEL = 0x1
CKR_ARGUMENTS_BAD = 0x7
CKR_FUNCTION_CANCELED = 0x50
CKR_DEVICE_REMOVED = 0x32
CKR_TOKEN_NOT_PRESENT = 0xE0
CKR_TOKEN_NOT_RECOGNIZED = 0xE1
CKR_PIN_INCORRECT = 0xA0
CKR_PIN_INVALID = 0xA1
CKR_PIN_LEN_RANGE = 0xA2
CKR_PIN_EXPIRED = 0xA3
CKR_PIN_LOCKED = 0xA4
CKR_USER_ALREADY_LOGGED_IN = 0x100
CKR_USER_NOT_LOGGED_IN = 0x101
CKR_USER_PIN_NOT_INITIALIZED = 0x102
CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191
CKR_BUFFER_TOO_SMALL = 0x150
CKR_ENCRYPTED_DATA_INVALID = 0x40
CKR_ENCRYPTED_DATA_LEN_RANGE = 0x41
CKR_KEY_FUNCTION_NOT_PERMITTED = 0x68
CKR_KEY_TYPE_INCONSISTENT = 0x63
CKR_MECHANISM_INVALID = 0x70
CKR_MECHANISM_PARAM_INVALID = 0x71

CKU_SO = 0
CKU_USER = 1
CKU_CONTEXT_SPECIFIC = 2

CKF_OS_LOCKING_OK = 0x2

# Token flags
CKF_LOGIN_REQUIRED = 0x4
CKF_USER_PIN_INITIALIZED = 0x8
CKF_PROTECTED_AUTHENTICATION_PATH = 0x100
CKF_TOKEN_INITIALIZED = 0x400
CKF_USER_PIN_COUNT_LOW = 0x10000
CKF_USER_PIN_FINAL_TRY = 0x20000
CKF_USER_PIN_LOCKED = 0x40000
CKF_USER_PIN_TO_BE_CHANGED = 0x80000

# Mechanisms and their parameters
CKM_RSA_PKCS = 0x1
CKM_RSA_X_509 = 0x3
CKM_RSA_PKCS_OAEP = 0x9
CKM_RSA_PKCS_PSS = 0xD
CKM_ECDSA = 0x1041
CKM_SHA_1 = 0x220
CKM_SHA256 = 0x250
CKM_SHA384 = 0x260
CKM_SHA512 = 0x270
CKG_MGF1_SHA1 = 0x1
CKG_MGF1_SHA256 = 0x2
CKG_MGF1_SHA384 = 0x3
CKG_MGF1_SHA512 = 0x4
CKZ_DATA_SPECIFIED = 0x1

# Attributes used for NSS's pseudo-objects
CKA_CLASS = 0x0
CKO_NSS_NEWSLOT = 0xCE534355
CKO_NSS_DELSLOT = 0xCE534356
CKA_NSS_MODULE_SPEC = 0xCE534368

_FUNCTION_NAMES = [
    "C_Initialize",
    "C_Finalize",
    "C_GetInfo",
    "C_GetFunctionList",
    "C_GetSlotList",
    "C_GetSlotInfo",
    "C_GetTokenInfo",
    "C_GetMechanismList",
    "C_GetMechanismInfo",
    "C_InitToken",
    "C_InitPIN",
    "C_SetPIN",
    "C_OpenSession",
    "C_CloseSession",
    "C_CloseAllSessions",
    "C_GetSessionInfo",
    "C_GetOperationState",
    "C_SetOperationState",
    "C_Login",
    "C_Logout",
    "C_CreateObject",
    "C_CopyObject",
    "C_DestroyObject",
    "C_GetObjectSize",
    "C_GetAttributeValue",
    "C_SetAttributeValue",
    "C_FindObjectsInit",
    "C_FindObjects",
    "C_FindObjectsFinal",
    "C_EncryptInit",
    "C_Encrypt",
    "C_EncryptUpdate",
    "C_EncryptFinal",
    "C_DecryptInit",
    "C_Decrypt",
    "C_DecryptUpdate",
    "C_DecryptFinal",
    "C_DigestInit",
    "C_Digest",
    "C_DigestUpdate",
    "C_DigestKey",
    "C_DigestFinal",
    "C_SignInit",
    "C_Sign",
]


class CK_VERSION(ctypes.Structure):
    _pack_ = _PACK
    _fields_ = [("major", ctypes.c_ubyte), ("minor", ctypes.c_ubyte)]


class CK_FUNCTION_LIST(ctypes.Structure):
    _pack_ = _PACK
    _fields_ = [("version", CK_VERSION)] + [(name, ctypes.c_void_p) for name in _FUNCTION_NAMES]


class CK_C_INITIALIZE_ARGS(ctypes.Structure):
    """With NSS's extension: `LibraryParameters` where the standard has `pReserved`."""

    _pack_ = _PACK
    _fields_ = [
        ("CreateMutex", ctypes.c_void_p),
        ("DestroyMutex", ctypes.c_void_p),
        ("LockMutex", ctypes.c_void_p),
        ("UnlockMutex", ctypes.c_void_p),
        ("flags", CK_ULONG),
        ("LibraryParameters", ctypes.c_char_p),
        ("pReserved", ctypes.c_void_p),
    ]


class CK_TOKEN_INFO(ctypes.Structure):
    _pack_ = _PACK
    _fields_ = [
        ("label", ctypes.c_char * 32),
        ("manufacturerID", ctypes.c_char * 32),
        ("model", ctypes.c_char * 16),
        ("serialNumber", ctypes.c_char * 16),
        ("flags", CK_ULONG),
        ("ulMaxSessionCount", CK_ULONG),
        ("ulSessionCount", CK_ULONG),
        ("ulMaxRwSessionCount", CK_ULONG),
        ("ulRwSessionCount", CK_ULONG),
        ("ulMaxPinLen", CK_ULONG),
        ("ulMinPinLen", CK_ULONG),
        ("ulTotalPublicMemory", CK_ULONG),
        ("ulFreePublicMemory", CK_ULONG),
        ("ulTotalPrivateMemory", CK_ULONG),
        ("ulFreePrivateMemory", CK_ULONG),
        ("hardwareVersion", CK_VERSION),
        ("firmwareVersion", CK_VERSION),
        ("utcTime", ctypes.c_char * 16),
    ]


class CK_MECHANISM(ctypes.Structure):
    _pack_ = _PACK
    _fields_ = [("mechanism", CK_ULONG), ("pParameter", ctypes.c_void_p), ("ulParameterLen", CK_ULONG)]


class CK_RSA_PKCS_PSS_PARAMS(ctypes.Structure):
    _pack_ = _PACK
    _fields_ = [("hashAlg", CK_ULONG), ("mgf", CK_ULONG), ("sLen", CK_ULONG)]


class CK_RSA_PKCS_OAEP_PARAMS(ctypes.Structure):
    _pack_ = _PACK
    _fields_ = [
        ("hashAlg", CK_ULONG),
        ("mgf", CK_ULONG),
        ("source", CK_ULONG),
        ("pSourceData", ctypes.c_void_p),
        ("ulSourceDataLen", CK_ULONG),
    ]


class CK_ATTRIBUTE(ctypes.Structure):
    _pack_ = _PACK
    _fields_ = [("type", CK_ULONG), ("pValue", ctypes.c_void_p), ("ulValueLen", CK_ULONG)]


class RawError(Exception):
    """A non-OK CK_RV from a raw call; `rv` is mapped to a user-facing error by the backend."""

    def __init__(self, function: str, rv: int) -> None:
        super().__init__(f"{function} returned 0x{rv:x}")
        self.function = function
        self.rv = rv


@dataclass(frozen=True)
class TokenInfo:
    label: str
    manufacturer: str
    model: str
    serial: str
    flags: int


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").rstrip(" \x00")


_FN = ctypes.CFUNCTYPE  # cryptoki uses the C calling convention (cdecl) everywhere
_ULP = ctypes.POINTER(CK_ULONG)
_SIGNATURES: dict[str, tuple[Any, ...]] = {
    "C_Initialize": (ctypes.c_void_p,),
    "C_GetTokenInfo": (CK_ULONG, ctypes.POINTER(CK_TOKEN_INFO)),
    "C_Login": (CK_ULONG, CK_ULONG, ctypes.c_char_p, CK_ULONG),
    "C_Logout": (CK_ULONG,),
    "C_CreateObject": (CK_ULONG, ctypes.POINTER(CK_ATTRIBUTE), CK_ULONG, _ULP),
    "C_SignInit": (CK_ULONG, ctypes.POINTER(CK_MECHANISM), CK_ULONG),
    "C_Sign": (CK_ULONG, ctypes.c_char_p, CK_ULONG, ctypes.c_char_p, _ULP),
    "C_DecryptInit": (CK_ULONG, ctypes.POINTER(CK_MECHANISM), CK_ULONG),
    "C_Decrypt": (CK_ULONG, ctypes.c_char_p, CK_ULONG, ctypes.c_char_p, _ULP),
}


_OUTPUT_SIZE = 2048

#: A context-specific login performed between *Init and the operation; returns the CK_RV.
ContextLogin = Callable[["RawModule", int], int]


class RawModule:
    """The function table of one loaded module. Callers serialise calls with the module's lock."""

    def __init__(self, path: str) -> None:
        mode = getattr(ctypes, "RTLD_LOCAL", 0)
        self._dll = ctypes.CDLL(path, mode=mode)
        get_list = self._dll.C_GetFunctionList
        get_list.argtypes = [ctypes.POINTER(ctypes.POINTER(CK_FUNCTION_LIST))]
        get_list.restype = CK_RV
        table = ctypes.POINTER(CK_FUNCTION_LIST)()
        rv = get_list(ctypes.byref(table))
        if rv != CKR_OK:
            raise RawError("C_GetFunctionList", rv)
        self._table = table.contents
        self._functions: dict[str, Callable[..., int]] = {}

    def _fn(self, name: str) -> Callable[..., int]:
        fn = self._functions.get(name)
        if fn is None:
            address = getattr(self._table, name)
            if not address:
                raise RawError(name, 0x54)  # CKR_FUNCTION_NOT_SUPPORTED
            fn = _FN(CK_RV, *_SIGNATURES[name])(address)
            self._functions[name] = fn
        return fn

    def _call(self, name: str, *args: object) -> int:
        rv = int(self._fn(name)(*args))
        return rv

    # -- initialisation ------------------------------------------------------------------

    def initialize(self, library_parameters: str | None = None) -> bool:
        """C_Initialize with OS locking (and NSS's parameters). False when already initialised."""
        args = CK_C_INITIALIZE_ARGS()
        args.flags = CKF_OS_LOCKING_OK
        if library_parameters is not None:
            args.LibraryParameters = library_parameters.encode("utf-8")
        rv = self._call("C_Initialize", ctypes.cast(ctypes.byref(args), ctypes.c_void_p))
        if rv == CKR_CRYPTOKI_ALREADY_INITIALIZED:
            return False
        if rv != CKR_OK:
            raise RawError("C_Initialize", rv)
        return True

    # -- tokens and login ----------------------------------------------------------------

    def token_info(self, slot_id: int) -> TokenInfo:
        info = CK_TOKEN_INFO()
        rv = self._call("C_GetTokenInfo", CK_ULONG(slot_id), ctypes.byref(info))
        if rv != CKR_OK:
            raise RawError("C_GetTokenInfo", rv)
        return TokenInfo(
            _text(info.label), _text(info.manufacturerID), _text(info.model), _text(info.serialNumber), int(info.flags)
        )

    def login(self, session: int, pin: str | None, user_type: int = CKU_USER) -> int:
        """Returns the raw CK_RV: the caller maps it (wrong PIN, locked, already logged in)."""
        if pin is None:  # protected authentication path: the user types on the reader
            return self._call("C_Login", CK_ULONG(session), CK_ULONG(user_type), None, CK_ULONG(0))
        data = pin.encode("utf-8")
        return self._call("C_Login", CK_ULONG(session), CK_ULONG(user_type), data, CK_ULONG(len(data)))

    def logout(self, session: int) -> int:
        return self._call("C_Logout", CK_ULONG(session))

    # -- NSS pseudo-objects --------------------------------------------------------------

    def create_pseudo_object(self, session: int, object_class: int, spec: str) -> None:
        """NSS's way of opening (CKO_NSS_NEWSLOT) or closing (DELSLOT) an extra database slot."""
        klass = CK_ULONG(object_class)
        spec_bytes = ctypes.create_string_buffer(spec.encode("utf-8"))  # NUL included, as NSS sends it
        template = (CK_ATTRIBUTE * 2)(
            CK_ATTRIBUTE(CKA_CLASS, ctypes.cast(ctypes.byref(klass), ctypes.c_void_p), ctypes.sizeof(klass)),
            CK_ATTRIBUTE(CKA_NSS_MODULE_SPEC, ctypes.cast(spec_bytes, ctypes.c_void_p), len(spec_bytes)),
        )
        handle = CK_ULONG(0)
        rv = self._call("C_CreateObject", CK_ULONG(session), template, CK_ULONG(2), ctypes.byref(handle))
        if rv != CKR_OK:
            raise RawError("C_CreateObject", rv)

    # -- private-key operations ----------------------------------------------------------

    def sign(
        self, session: int, key: int, mechanism: Mechanism, data: bytes, *, context_pin: ContextLogin | None = None
    ) -> bytes:
        return self._one_shot("C_SignInit", "C_Sign", session, key, mechanism, data, context_pin)

    def decrypt(
        self, session: int, key: int, mechanism: Mechanism, data: bytes, *, context_pin: ContextLogin | None = None
    ) -> bytes:
        return self._one_shot("C_DecryptInit", "C_Decrypt", session, key, mechanism, data, context_pin)

    def _one_shot(
        self,
        init_name: str,
        op_name: str,
        session: int,
        key: int,
        mechanism: Mechanism,
        data: bytes,
        context_pin: ContextLogin | None,
    ) -> bytes:
        mech = mechanism.structure()
        rv = self._call(init_name, CK_ULONG(session), ctypes.byref(mech), CK_ULONG(key))
        if rv != CKR_OK:
            raise RawError(init_name, rv)
        if context_pin is not None:
            # CKA_ALWAYS_AUTHENTICATE: the PIN again, for this one operation (PKCS#11 v2.20 §11.4)
            rv = context_pin(self, session)
            if rv != CKR_OK:
                raise RawError("C_Login", rv)
        # One call with a buffer large enough for RSA-16384: a size query first would, on some
        # cards, spend the context-specific authorisation.
        out = ctypes.create_string_buffer(_OUTPUT_SIZE)
        length = CK_ULONG(_OUTPUT_SIZE)
        rv = self._call(op_name, CK_ULONG(session), data, CK_ULONG(len(data)), out, ctypes.byref(length))
        if rv == CKR_BUFFER_TOO_SMALL:
            out = ctypes.create_string_buffer(int(length.value))
            rv = self._call(op_name, CK_ULONG(session), data, CK_ULONG(len(data)), out, ctypes.byref(length))
        if rv != CKR_OK:
            raise RawError(op_name, rv)
        return out.raw[: int(length.value)]


class Mechanism:
    """A mechanism with its parameter structure kept alive as long as the mechanism."""

    def __init__(self, mechanism: int, parameter: ctypes.Structure | None = None, keep: object = None) -> None:
        self.mechanism = mechanism
        self.parameter = parameter
        self._keep = keep  # buffers the parameter points into (the OAEP label)

    def structure(self) -> CK_MECHANISM:
        if self.parameter is None:
            return CK_MECHANISM(self.mechanism, None, 0)
        return CK_MECHANISM(
            self.mechanism,
            ctypes.cast(ctypes.byref(self.parameter), ctypes.c_void_p),
            ctypes.sizeof(self.parameter),
        )


_HASH_MECHANISMS = {
    "sha1": (CKM_SHA_1, CKG_MGF1_SHA1),
    "sha256": (CKM_SHA256, CKG_MGF1_SHA256),
    "sha384": (CKM_SHA384, CKG_MGF1_SHA384),
    "sha512": (CKM_SHA512, CKG_MGF1_SHA512),
}


def pss(hash_name: str, salt_length: int) -> Mechanism:
    hash_mech, mgf = _HASH_MECHANISMS[hash_name]
    return Mechanism(CKM_RSA_PKCS_PSS, CK_RSA_PKCS_PSS_PARAMS(hash_mech, mgf, salt_length))


def oaep(hash_name: str, mgf1_hash_name: str, label: bytes | None) -> Mechanism:
    hash_mech, _ = _HASH_MECHANISMS[hash_name]
    _, mgf = _HASH_MECHANISMS[mgf1_hash_name]
    if label:
        buffer = ctypes.create_string_buffer(label, len(label))
        params = CK_RSA_PKCS_OAEP_PARAMS(
            hash_mech, mgf, CKZ_DATA_SPECIFIED, ctypes.cast(buffer, ctypes.c_void_p), len(label)
        )
        return Mechanism(CKM_RSA_PKCS_OAEP, params, keep=buffer)
    return Mechanism(CKM_RSA_PKCS_OAEP, CK_RSA_PKCS_OAEP_PARAMS(hash_mech, mgf, CKZ_DATA_SPECIFIED, None, 0))
