"""A PKCS#11 token (smart card, USB token, SoftHSM, an NSS database slot) as a key store.

Listing needs no PIN: certificates are public objects. The PIN is asked once per token, through
the PinCallback, the first time a private-key operation needs it, and the login lasts until the
last store using that token is closed (end of the batch), which logs out.

Calls into a module are serialised by the module's lock: a PKCS#11 session is not thread-safe,
and jobs run on worker threads. Tokens are shared between the stores that open them (a
`_TokenState` per module and slot): PKCS#11 login state belongs to the application, not to one
session, so two stores on the same card must not log each other out.

Nothing here ever changes what is on the token, except `importer.py`, which creates objects.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from assistant.i18n import M_, Message, _
from assistant.keystores.base import (
    Credential,
    DecryptionFailedError,
    DecryptionMechanism,
    DecryptionScheme,
    HashAlgorithm,
    KeyNotFoundError,
    KeyStore,
    KeyStoreError,
    OperationNotPermittedError,
    PinCallback,
    PinCancelledError,
    PinIncorrectError,
    PinLockedError,
    PinRequest,
    PinState,
    SignatureMechanism,
    SignatureScheme,
    StoreKind,
    StoreRef,
    TokenAbsentError,
    der_ecdsa_from_raw,
    digest_info,
)
from assistant.keystores.pkcs11 import raw
from assistant.keystores.pkcs11.modules import LoadedModule
from assistant.keystores.pkcs11.uri import Pkcs11Uri

log = logging.getLogger(__name__)

# python-pkcs11 attribute and class numbers, kept as plain ints to stay clear of its enums
CKA_CLASS = 0x0
CKA_TOKEN = 0x1
CKA_PRIVATE = 0x2
CKA_LABEL = 0x3
CKA_VALUE = 0x11
CKA_CERTIFICATE_TYPE = 0x80
CKA_KEY_TYPE = 0x100
CKA_ID = 0x102
CKA_MODULUS = 0x120
CKA_EC_POINT = 0x181
CKA_ALWAYS_AUTHENTICATE = 0x202
CKO_CERTIFICATE = 1
CKO_PUBLIC_KEY = 2
CKO_PRIVATE_KEY = 3
CKC_X_509 = 0
CKK_RSA = 0
CKK_EC = 3

_RV_REPEATED = 0x80000A00  # ours (vendor range): the PIN was not sent, the token refused it already
_ABSENT_RVS = {
    raw.CKR_DEVICE_REMOVED,
    raw.CKR_TOKEN_NOT_PRESENT,
    0xB0,
    0xB3,
    0x30,
    0x31,
}  # + session closed/invalid, device error/memory


def pin_state(flags: int) -> PinState:
    if flags & raw.CKF_USER_PIN_FINAL_TRY:
        return PinState.FINAL_TRY
    if flags & raw.CKF_USER_PIN_COUNT_LOW:
        return PinState.COUNT_LOW
    return PinState.OK


def _locked(label: str) -> PinLockedError:
    return PinLockedError(
        M_(
            "Le code PIN de « {label} » est bloqué après trop d'essais incorrects. Débloquez-le avec le code PUK ou l'outil de votre fournisseur de certificat ; l'assistant ne peut pas l'utiliser en attendant.",
            label=label,
        ),
    )


def _incorrect(label: str, state: PinState, kind: str) -> PinIncorrectError:
    if kind == "password":
        wrong = M_("Mot de passe incorrect pour « {label} ».", label=label)
    else:
        wrong = M_("Code PIN incorrect pour « {label} ».", label=label)
    tail: Message | str = ""
    if state is PinState.FINAL_TRY:
        tail = M_(" Attention : il ne reste qu'un seul essai avant le blocage.")
    elif state is PinState.COUNT_LOW:
        tail = M_(" Le nombre d'essais restants diminue : vérifiez-le avant de réessayer.")
    else:
        tail = ""
    return PinIncorrectError(M_("{wrong}{tail}", wrong=wrong, tail=tail))


def _absent(label: str) -> TokenAbsentError:
    return TokenAbsentError(
        M_(
            "« {label} » n'est plus accessible : la carte ou la clé USB a-t-elle été retirée ? Rebranchez-la et recommencez.",
            label=label,
        ),
    )


@dataclass
class _TokenState:
    """One token as the process sees it: its public session and whether the user logged in."""

    module: LoadedModule
    slot_id: int
    session: Any = None  # pkcs11 Session, opened on first need
    logged_in: bool = False
    failed_before: bool = False
    users: int = 0
    # A keyed digest of the last PIN the token refused (memory only, random key per token state):
    # the same wrong PIN, sent again by a script or a stale field, is refused here instead of
    # spending one more of the card's tries.
    salt: bytes = field(default_factory=lambda: os.urandom(32))
    rejected: bytes | None = None
    last_attempt: bytes | None = None

    def digest(self, pin: str) -> bytes:
        return hmac.new(self.salt, pin.encode("utf-8"), hashlib.sha256).digest()


#: How many times one login asks for the PIN before giving up (the card usually locks sooner).
MAX_PIN_QUESTIONS = 5

_TOKENS: dict[tuple[str, int], _TokenState] = {}
_TOKENS_LOCK = threading.Lock()


def _acquire(module: LoadedModule, slot_id: int) -> _TokenState:
    with _TOKENS_LOCK:
        state = _TOKENS.setdefault((module.path, slot_id), _TokenState(module, slot_id))
        state.users += 1
        return state


def _release(state: _TokenState) -> None:
    with _TOKENS_LOCK:
        state.users -= 1
        if state.users > 0:
            return
        _TOKENS.pop((state.module.path, state.slot_id), None)
    with state.module.lock:
        if state.session is not None:
            try:
                if state.logged_in:
                    state.module.raw.logout(int(state.session.handle))
                state.session.close()
            except Exception:
                log.debug("closing the session failed", exc_info=True)
        state.session = None
        state.logged_in = False


@dataclass
class _Entry:
    certificate: x509.Certificate
    id: bytes
    label: str
    has_key: bool


@dataclass
class _KeyRef:
    handle: int
    always_authenticate: bool
    key_type: int | None = None
    extras: dict[str, Any] = field(default_factory=dict)


class Pkcs11Store(KeyStore):
    """The certificates and keys of one token. Opening reads no object; listing needs no PIN."""

    kind = StoreKind.PKCS11

    def __init__(
        self,
        module: LoadedModule,
        slot_id: int,
        pin_callback: PinCallback,
        *,
        kind: StoreKind = StoreKind.PKCS11,
        label: str | None = None,
        pin_kind: str = "pin",
        uri_override: str | None = None,
    ) -> None:
        self.module = module
        self.slot_id = slot_id
        self.kind = kind
        self._pin_callback = pin_callback
        self._pin_kind = pin_kind
        try:
            with module.lock:
                self.token_info = module.raw.token_info(slot_id)
        except raw.RawError as exc:
            raise _absent(label or module.path) from exc
        self.label = label or self.token_info.label or module.description or _("Carte à puce")
        uri = Pkcs11Uri(
            token=self.token_info.label,
            manufacturer=self.token_info.manufacturer,
            serial=self.token_info.serial,
            model=self.token_info.model,
            module_path=module.path,
        )
        self.uri = uri
        self.ref = StoreRef(kind, self.label, uri_override or str(uri))
        self._state = _acquire(module, slot_id)
        self._closed = False
        self._entries: list[_Entry] | None = None
        self._entries_logged_in = False
        self._keys: dict[bytes, _KeyRef] = {}
        self._no_login_needed = False

    # -- sessions and login --------------------------------------------------------------

    def _session(self) -> Any:
        """The token's shared public session (module lock held by the caller)."""
        if self._closed:
            raise KeyStoreError(M_("Ce magasin de certificats a été fermé."))
        state = self._state
        if state.session is None:
            try:
                slot = next(s for s in self.module.lib.get_slots() if int(s.slot_id) == self.slot_id)
                state.session = slot.get_token().open(rw=not (self.token_info.flags & 0x2))
            except StopIteration as exc:
                raise _absent(self.label) from exc
            except Exception as exc:
                raise _absent(self.label) from exc
        return state.session

    def _flags(self) -> int:
        try:
            return self.module.raw.token_info(self.slot_id).flags
        except raw.RawError as exc:
            raise _absent(self.label) from exc

    def login(self, reason: str = "") -> None:
        """Log in once for the batch (asks the PinCallback). Safe to call when already logged in."""
        with self.module.lock:
            self._ensure_login(reason)

    def _ensure_login(self, reason: str = "") -> None:
        state = self._state
        session = self._session()
        if state.logged_in:
            return
        flags = self._flags()
        if flags & raw.CKF_USER_PIN_LOCKED:
            raise _locked(self.label)
        if not flags & raw.CKF_LOGIN_REQUIRED:
            state.logged_in = False  # nothing to log out from; keys are usable as they are
            self._mark_logged_in(logged_in=False)
            return
        protected = bool(flags & raw.CKF_PROTECTED_AUTHENTICATION_PATH)
        # A wrong PIN is asked again (the request then says so, with the card's remaining-tries
        # state) rather than failing the job, until the card locks, the user cancels or
        # MAX_PIN_QUESTIONS is reached; a callback that cannot ask again raises on `retry`.
        refused: PinIncorrectError | None = None
        for question in range(1, MAX_PIN_QUESTIONS + 1):
            request = PinRequest(
                self.label,
                kind=self._pin_kind,
                state=pin_state(flags),
                retry=state.failed_before,
                reason=reason,
                protected_path=protected,
            )
            pin = self._pin_callback(request)
            if pin is None:
                if refused is not None:  # given up after a refusal: the refusal is what stopped it
                    raise refused
                raise PinCancelledError(M_("Saisie du code PIN annulée."))
            rv = self._login(int(session.handle), None if protected else pin, raw.CKU_USER)
            del pin
            try:
                self._check_login_rv(rv)
            except PinIncorrectError as exc:
                # The card's own refusal says more than "this PIN was just refused" (not resent).
                refused = exc if rv != _RV_REPEATED else (refused or exc)
                if question == MAX_PIN_QUESTIONS:
                    raise refused from None
                state.failed_before = True
                flags = self._flags()
                continue
            break
        state.logged_in = True
        state.failed_before = False
        self._mark_logged_in(logged_in=True)

    def _login(self, session: int, pin: str | None, user_type: int) -> int:
        state = self._state
        state.last_attempt = None if pin is None else state.digest(pin)
        if state.last_attempt is not None and state.last_attempt == state.rejected:
            return _RV_REPEATED
        return self.module.raw.login(session, pin, user_type)

    def _mark_logged_in(self, *, logged_in: bool) -> None:
        self._keys.clear()
        if self._entries is not None and not self._entries_logged_in:
            self._entries = None  # private keys are visible now: list again to match them exactly
        self._no_login_needed = not logged_in

    def _check_login_rv(self, rv: int) -> None:
        state = self._state
        attempt, state.last_attempt = state.last_attempt, None
        if rv in (raw.CKR_OK, raw.CKR_USER_ALREADY_LOGGED_IN):
            state.rejected = None
            return
        if rv == _RV_REPEATED:
            if self._pin_kind == "password":
                raise PinIncorrectError(
                    M_(
                        "Ce mot de passe vient déjà d'être refusé par « {label} » : il n'a pas été présenté une "
                        "nouvelle fois, pour ne pas consommer un essai de plus. Vérifiez-le avant de recommencer.",
                        label=self.label,
                    )
                )
            raise PinIncorrectError(
                M_(
                    "Ce code PIN vient déjà d'être refusé par « {label} » : il n'a pas été présenté une nouvelle "
                    "fois, pour ne pas consommer un essai de plus. Vérifiez-le avant de recommencer.",
                    label=self.label,
                )
            )
        if rv in (raw.CKR_PIN_INCORRECT, raw.CKR_PIN_INVALID, raw.CKR_PIN_LEN_RANGE):
            state.failed_before = True
            state.rejected = attempt
            flags = self._flags()
            if flags & raw.CKF_USER_PIN_LOCKED:
                raise _locked(self.label)
            raise _incorrect(self.label, pin_state(flags), self._pin_kind)
        if rv == raw.CKR_PIN_LOCKED:
            raise _locked(self.label)
        if rv in (raw.CKR_FUNCTION_CANCELED, raw.CKR_CANCEL):
            raise PinCancelledError(M_("Saisie du code PIN annulée sur le lecteur."))
        if rv == raw.CKR_PIN_EXPIRED:
            raise PinLockedError(
                M_("Le code PIN de « {label} » a expiré : changez-le avec l'outil de votre carte.", label=self.label),
            )
        if rv == raw.CKR_USER_PIN_NOT_INITIALIZED:
            raise PinLockedError(M_("« {label} » n'a pas encore de code PIN utilisateur.", label=self.label))
        if rv in _ABSENT_RVS:
            raise _absent(self.label)
        raise KeyStoreError(
            M_("La connexion à « {label} » a échoué (code PKCS#11 0x{rv:x}).", label=self.label, rv=rv),
        )

    # -- listing -------------------------------------------------------------------------

    def _find(self, template: dict[int, Any]) -> list[Any]:
        session = self._session()
        return list(session.get_objects(template))

    @staticmethod
    def _attrs(obj: Any, keys: list[int]) -> dict[int, Any]:
        try:
            return dict(obj.get_attributes(keys))
        except Exception:
            values: dict[int, Any] = {}
            for key in keys:
                try:
                    values[key] = obj[key]
                except Exception:  # noqa: S112 - attribute absent or sensitive
                    continue
            return values

    def _list(self) -> list[_Entry]:
        if self._entries is not None:
            return self._entries
        with self.module.lock:
            try:
                certs = self._find({CKA_CLASS: CKO_CERTIFICATE, CKA_CERTIFICATE_TYPE: CKC_X_509})
                cert_attrs = [self._attrs(c, [CKA_VALUE, CKA_ID, CKA_LABEL]) for c in certs]
                key_ids: set[bytes] = set()
                key_labels: set[str] = set()
                moduli: set[bytes] = set()
                for klass in (CKO_PRIVATE_KEY, CKO_PUBLIC_KEY):
                    for key in self._find({CKA_CLASS: klass}):
                        attrs = self._attrs(key, [CKA_ID, CKA_LABEL, CKA_MODULUS, CKA_EC_POINT])
                        if attrs.get(CKA_ID):
                            key_ids.add(bytes(attrs[CKA_ID]))
                        if attrs.get(CKA_LABEL):
                            key_labels.add(str(attrs[CKA_LABEL]))
                        for attr in (CKA_MODULUS, CKA_EC_POINT):
                            if attrs.get(attr):
                                moduli.add(bytes(attrs[attr]).lstrip(b"\x00"))
                logged_in = self._state.logged_in or self._no_login_needed
                login_required = bool(self._flags() & raw.CKF_LOGIN_REQUIRED)
            except KeyStoreError:
                raise
            except Exception as exc:
                raise _absent(self.label) from exc
        entries: list[_Entry] = []
        for attrs in cert_attrs:
            value = attrs.get(CKA_VALUE)
            if not value:
                continue
            try:
                cert = x509.load_der_x509_certificate(bytes(value))
            except ValueError:
                log.warning("skipping an unreadable certificate on %s", self.label)
                continue
            cert_id = bytes(attrs.get(CKA_ID) or b"")
            label = str(attrs.get(CKA_LABEL) or "")
            has_key = (
                (cert_id and cert_id in key_ids) or (label and label in key_labels) or _public_point(cert) in moduli
            )
            if not has_key and login_required and not logged_in:
                # Private keys are hidden until login: presume a key for every end-entity
                # certificate that has an identifier (what every card middleware does).
                has_key = bool(cert_id) and not _is_ca(cert)
            entries.append(_Entry(cert, cert_id, label, bool(has_key)))
        self._entries = entries
        self._entries_logged_in = self._state.logged_in
        return entries

    def credentials(self) -> list[Credential]:
        return [Pkcs11Credential(self, e.certificate, e.id, e.label) for e in self._list() if e.has_key]

    def certificates(self) -> list[x509.Certificate]:
        return [e.certificate for e in self._list() if not e.has_key]

    def refresh(self) -> None:
        """Forget what was listed (after an import): the next listing reads the token again."""
        self._entries = None
        self._keys.clear()

    def object_count(self) -> int:
        """Objects visible on the token in the current login state (the tests' witness)."""
        with self.module.lock:
            return len(self._find({}))

    # -- private-key operations ----------------------------------------------------------

    def _key(self, credential: Pkcs11Credential) -> _KeyRef:
        cached = self._keys.get(credential.object_id + credential.label.encode())
        if cached is not None:
            return cached
        candidates: list[Any] = []
        if credential.object_id:
            candidates = self._find({CKA_CLASS: CKO_PRIVATE_KEY, CKA_ID: credential.object_id})
        if not candidates and credential.label:
            candidates = self._find({CKA_CLASS: CKO_PRIVATE_KEY, CKA_LABEL: credential.label})
        if not candidates:
            wanted = _public_point(credential.certificate)
            for key in self._find({CKA_CLASS: CKO_PRIVATE_KEY}):
                modulus = self._attrs(key, [CKA_MODULUS]).get(CKA_MODULUS)
                if modulus and bytes(modulus).lstrip(b"\x00") == wanted:
                    candidates = [key]
                    break
        if not candidates:
            raise KeyNotFoundError(
                M_(
                    "La clé privée du certificat « {name} » est introuvable sur « {label} ».",
                    name=credential.label or credential.certificate.subject.rfc4514_string(),
                    label=self.label,
                )
            )
        key = candidates[0]
        attrs = self._attrs(key, [CKA_ALWAYS_AUTHENTICATE, CKA_KEY_TYPE])
        ref = _KeyRef(int(key.handle), bool(attrs.get(CKA_ALWAYS_AUTHENTICATE)), _int_or_none(attrs.get(CKA_KEY_TYPE)))
        self._keys[credential.object_id + credential.label.encode()] = ref
        return ref

    def always_authenticate(self, credential: Pkcs11Credential) -> bool:
        """Whether the key asks for the PIN on every use (known only after login on most cards)."""
        with self.module.lock:
            self._ensure_login()
            return self._key(credential).always_authenticate

    def _context_login(self, credential: Pkcs11Credential, operation: str) -> raw.ContextLogin:
        def login(module: raw.RawModule, session: int) -> int:
            flags = self._flags()
            protected = bool(flags & raw.CKF_PROTECTED_AUTHENTICATION_PATH)
            request = PinRequest(
                self.label,
                kind=self._pin_kind,
                state=pin_state(flags),
                reason=(
                    _("Cette clé exige la saisie du code PIN pour chaque signature (sécurité renforcée de la carte).")
                    if operation == "sign"
                    else _(
                        "Cette clé exige la saisie du code PIN pour chaque ouverture (sécurité renforcée de la carte)."
                    )
                ),
                protected_path=protected,
            )
            pin = self._pin_callback(request)
            if pin is None:
                return raw.CKR_FUNCTION_CANCELED
            rv = self._login(session, None if protected else pin, raw.CKU_CONTEXT_SPECIFIC)
            del pin
            if rv == raw.CKR_OK:
                self._state.last_attempt = None
            return rv

        return login

    def _operate(
        self,
        credential: Pkcs11Credential,
        op: str,
        mechanism: raw.Mechanism,
        data: bytes,
        error_for: Callable[[int], KeyStoreError],
    ) -> bytes:
        with self.module.lock:
            self._ensure_login()
            key = self._key(credential)
            session = int(self._session().handle)
            context = self._context_login(credential, op) if key.always_authenticate else None
            function = self.module.raw.sign if op == "sign" else self.module.raw.decrypt
            try:
                return function(session, key.handle, mechanism, data, context_pin=context)
            except raw.RawError as exc:
                if exc.function == "C_Login":
                    self._flush_operation(op, session, key, mechanism)
                    self._check_login_rv(exc.rv)
                if exc.rv == raw.CKR_USER_NOT_LOGGED_IN:
                    self._state.logged_in = False  # the card was reset: the next attempt asks again
                if exc.rv in _ABSENT_RVS:
                    raise _absent(self.label) from exc
                raise error_for(exc.rv) from exc

    def _flush_operation(self, op: str, session: int, key: _KeyRef, mechanism: raw.Mechanism) -> None:
        """After a refused context-specific login the operation is still active: end it."""
        try:
            function = self.module.raw.sign if op == "sign" else self.module.raw.decrypt
            function(session, key.handle, mechanism, b"\x00" * 32, context_pin=None)
        except raw.RawError:
            pass

    def sign_digest(self, credential: Pkcs11Credential, digest: bytes, mechanism: SignatureMechanism) -> bytes:
        if len(digest) != mechanism.hash.digest_size:
            raise ValueError("digest length does not match the hash algorithm")
        public = credential.certificate.public_key()
        if mechanism.scheme is SignatureScheme.ECDSA:
            if not isinstance(public, ec.EllipticCurvePublicKey):
                raise OperationNotPermittedError(M_("Cette clé n'est pas une clé ECDSA."))
            raw_sig = self._operate(credential, "sign", raw.Mechanism(raw.CKM_ECDSA), digest, self._sign_error)
            return der_ecdsa_from_raw(raw_sig)
        if not isinstance(public, rsa.RSAPublicKey):
            raise OperationNotPermittedError(M_("Cette clé n'est pas une clé RSA."))
        if mechanism.scheme is SignatureScheme.RSA_PSS:
            mech = raw.pss(mechanism.hash.value, mechanism.hash.digest_size)
            return self._operate(credential, "sign", mech, digest, self._sign_error)
        return self._operate(
            credential, "sign", raw.Mechanism(raw.CKM_RSA_PKCS), digest_info(digest, mechanism.hash), self._sign_error
        )

    def decrypt(self, credential: Pkcs11Credential, ciphertext: bytes, mechanism: DecryptionMechanism) -> bytes:
        if not isinstance(credential.certificate.public_key(), rsa.RSAPublicKey):
            raise OperationNotPermittedError(M_("Seule une clé RSA peut déchiffrer une enveloppe."))
        if mechanism.scheme is not DecryptionScheme.RSA_OAEP:
            return self._operate(
                credential, "decrypt", raw.Mechanism(raw.CKM_RSA_PKCS), ciphertext, self._decrypt_error
            )
        mgf1 = (mechanism.mgf1_hash or mechanism.hash).value
        mech = raw.oaep(mechanism.hash.value, mgf1, mechanism.label)
        try:
            return self._operate(credential, "decrypt", mech, ciphertext, self._decrypt_error)
        except OperationNotPermittedError:
            if mechanism.hash is HashAlgorithm.SHA1 and mgf1 == "sha1":
                raise
        # The token has no OAEP with this hash: raw RSA on the token, OAEP decoding here.
        from assistant.keystores.pkcs11.oaep import oaep_decode

        block = self._operate(credential, "decrypt", raw.Mechanism(raw.CKM_RSA_X_509), ciphertext, self._decrypt_error)
        try:
            return oaep_decode(block, (credential.key_size + 7) // 8, mechanism.hash.value, mgf1, mechanism.label)
        except ValueError as exc:
            raise self._decrypt_error(0) from exc

    def _sign_error(self, rv: int) -> KeyStoreError:
        if rv in (raw.CKR_KEY_FUNCTION_NOT_PERMITTED, raw.CKR_KEY_TYPE_INCONSISTENT):
            return OperationNotPermittedError(
                M_("Cette clé de « {label} » n'est pas autorisée à signer.", label=self.label),
            )
        if rv in (raw.CKR_MECHANISM_INVALID, raw.CKR_MECHANISM_PARAM_INVALID):
            return OperationNotPermittedError(
                M_("« {label} » ne sait pas produire ce type de signature.", label=self.label),
            )
        return KeyStoreError(
            M_("La signature par « {label} » a échoué (code PKCS#11 0x{rv:x}).", label=self.label, rv=rv),
        )

    def _decrypt_error(self, rv: int) -> KeyStoreError:
        if rv in (raw.CKR_KEY_FUNCTION_NOT_PERMITTED, raw.CKR_KEY_TYPE_INCONSISTENT):
            return OperationNotPermittedError(
                M_("Cette clé de « {label} » n'est pas autorisée à déchiffrer (clé de signature ?).", label=self.label),
            )
        if rv in (raw.CKR_MECHANISM_INVALID, raw.CKR_MECHANISM_PARAM_INVALID, raw.CKR_ARGUMENTS_BAD):
            return OperationNotPermittedError(
                M_("« {label} » ne sait pas faire ce type de déchiffrement.", label=self.label),
            )
        return DecryptionFailedError(
            M_("Le déchiffrement de la clé de contenu a échoué : l'enveloppe n'a pas été chiffrée pour cette clé."),
        )

    def close(self) -> None:
        """End of the batch: log out (when the last store on this token closes) and drop the PIN."""
        if self._closed:
            return
        self._closed = True
        self._entries = None
        self._keys.clear()
        _release(self._state)


class Pkcs11Credential(Credential):
    def __init__(self, store: Pkcs11Store, certificate: x509.Certificate, object_id: bytes, label: str) -> None:
        super().__init__(certificate, store.ref, key_id=object_id.hex(), label=label)
        self._store = store
        self.object_id = object_id

    @property
    def uri(self) -> str:
        from dataclasses import replace

        return str(replace(self._store.uri, object=self.label or None, id=self.object_id or None))

    def sign_digest(self, digest: bytes, mechanism: SignatureMechanism) -> bytes:
        return self._store.sign_digest(self, digest, mechanism)

    def decrypt(self, ciphertext: bytes, mechanism: DecryptionMechanism) -> bytes:
        return self._store.decrypt(self, ciphertext, mechanism)

    def refresh_always_authenticate(self) -> bool:
        """Read CKA_ALWAYS_AUTHENTICATE from the key (logs in if needed) and remember it."""
        self.always_authenticate = self._store.always_authenticate(self)
        return self.always_authenticate


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _public_point(cert: x509.Certificate) -> bytes:
    """RSA modulus (big-endian, no leading zero) or DER-wrapped EC point, as tokens store them."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        n = key.public_numbers().n
        return n.to_bytes((n.bit_length() + 7) // 8, "big")
    if isinstance(key, ec.EllipticCurvePublicKey):
        from cryptography.hazmat.primitives import serialization

        point = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return (bytes([0x04, len(point)]) + point).lstrip(b"\x00") if len(point) < 128 else point
    return b"-"


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


__all__ = ["HashAlgorithm", "Pkcs11Credential", "Pkcs11Store", "pin_state"]


def token_slots(module: LoadedModule) -> list[int]:
    """Slots holding an initialised token (SoftHSM and some readers show an empty spare slot)."""
    with module.lock:
        slots: list[int] = []
        for slot in module.lib.get_slots(token_present=True):
            slot_id = int(slot.slot_id)
            try:
                flags = module.raw.token_info(slot_id).flags
            except raw.RawError:
                continue
            if flags & raw.CKF_TOKEN_INITIALIZED:
                slots.append(slot_id)
        return slots


def open_module_stores(module: LoadedModule, pin_callback: PinCallback) -> list[Pkcs11Store]:
    return [Pkcs11Store(module, slot_id, pin_callback) for slot_id in token_slots(module)]
