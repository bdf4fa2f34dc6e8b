"""The Linux OS store: NSS databases (Chrome's ~/.pki/nssdb, Firefox profiles) via NSS's softoken.

Softoken is a PKCS#11 module, but it will not start without being told where its database is
(`LibraryParameters` in C_Initialize), which python-pkcs11 and PyKCS11 never pass; p11-kit's proxy
can, but ignores per-user configuration when running as root. So:

1. softoken is initialised once, by `raw.RawModule`, with no database at all
   (`flags=readOnly,noCertDB,noKeyDB,noModDB,forceOpen`): only its two built-in slots exist;
2. each database is then opened as an extra slot, the way NSS's own `SECMOD_OpenUserDB` does it:
   C_CreateObject of a CKO_NSS_NEWSLOT pseudo-object whose CKA_NSS_MODULE_SPEC is
   `tokens=[0x<slot>=<configdir='sql:DIR' ...>]` (see NSS pk11util.c and softoken's parameter
   parser). Any number of databases, opened when first listed, in the same process as the other
   PKCS#11 modules, for a normal user as for root, without environment tricks.

The database password is asked through the PinCallback (kind "password") like a card's PIN.
"""

from __future__ import annotations

import configparser
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from assistant.i18n import M_
from assistant.keystores.base import KeyStoreError, ModuleMissingError, PinCallback, StoreKind
from assistant.keystores.errors import KeyStoreCode
from assistant.keystores.pkcs11 import raw
from assistant.keystores.pkcs11.backend import Pkcs11Store
from assistant.keystores.pkcs11.modules import LoadedModule, load_module

SOFTOKN_CANDIDATES = [
    "/usr/lib/x86_64-linux-gnu/libsoftokn3.so",
    "/usr/lib/aarch64-linux-gnu/libsoftokn3.so",
    "/usr/lib64/libsoftokn3.so",
    "/usr/lib/libsoftokn3.so",
    "/usr/lib/x86_64-linux-gnu/nss/libsoftokn3.so",
    "/usr/lib64/nss/libsoftokn3.so",
    "/usr/lib/nss/libsoftokn3.so",
]
NO_DATABASE_PARAMETERS = (
    "configdir='' certPrefix='' keyPrefix='' secmod='' flags=readOnly,noCertDB,noKeyDB,noModDB,forceOpen,optimizeSpace"
)
NSC_SLOT_ID = 1  # softoken's "generic crypto services" slot, always present
FIRST_USER_SLOT_ID = 4  # SFTK_MIN_USER_SLOT_ID
LAST_USER_SLOT_ID = 100  # below SFTK_MIN_FIPS_USER_SLOT_ID
_UNSAFE_CHARS = set("'\"<>[]{}\\\n\r\0")


@dataclass(frozen=True)
class NssDatabase:
    """An NSS database directory and how to show it."""

    directory: Path
    label: str  # "NSS (~/.pki/nssdb)", "Firefox (default-release)"

    @property
    def spec(self) -> str:
        return f"nss:{self.directory}"


def softokn_path() -> str:
    for candidate in SOFTOKN_CANDIDATES:
        if os.path.isfile(candidate):
            return candidate
    raise ModuleMissingError(
        M_("Le module NSS (libsoftokn3) est introuvable : installez le paquet libnss3."),
    )


_OPENED: dict[str, int] = {}  # database real path -> slot id
_OPEN_LOCK = threading.Lock()


def softoken() -> LoadedModule:
    return load_module(softokn_path(), library_parameters=NO_DATABASE_PARAMETERS)


def _not_nss(directory: Path) -> KeyStoreError:
    return KeyStoreError(
        M_("{directory} n'est pas une base de certificats NSS (cert9.db ou cert8.db absent).", directory=directory),
        code=KeyStoreCode.NSS_DATABASE,
    )


def database_prefix(directory: Path, *, create: bool = False) -> str:
    if (directory / "cert9.db").is_file() or create:
        return "sql:"
    if (directory / "cert8.db").is_file():
        return "dbm:"
    raise _not_nss(directory)


def _slot_for(module: LoadedModule, directory: Path, description: str, *, create: bool = False) -> int:
    real = os.path.realpath(directory)
    with _OPEN_LOCK:
        slot_id = _OPENED.get(real)
        if slot_id is not None:
            return slot_id
        if _UNSAFE_CHARS & set(real) or _UNSAFE_CHARS & set(description):
            raise KeyStoreError(
                M_("Le chemin de la base NSS contient des caractères non pris en charge : {real}", real=real),
                code=KeyStoreCode.NSS_DATABASE,
            )
        prefix = database_prefix(Path(real), create=create)
        slot_id = FIRST_USER_SLOT_ID + len(_OPENED)
        if slot_id > LAST_USER_SLOT_ID:
            raise KeyStoreError(M_("Trop de bases NSS ouvertes."), code=KeyStoreCode.NSS_DATABASE)
        flags = "" if os.access(real, os.W_OK) else " flags=readOnly"
        name = description.encode("utf-8")[:32].decode("utf-8", errors="ignore")
        spec = f"configdir='{prefix}{real}' certPrefix='' keyPrefix='' tokenDescription='{name}'{flags}"
        with module.lock:
            slot = next(s for s in module.lib.get_slots() if int(s.slot_id) == NSC_SLOT_ID)
            session = slot.get_token().open()
            try:
                module.raw.create_pseudo_object(
                    int(session.handle), raw.CKO_NSS_NEWSLOT, f"tokens=[0x{slot_id:x}=<{spec}>]"
                )
            except raw.RawError as exc:
                raise KeyStoreError(
                    M_("La base NSS {real} n'a pas pu être ouverte (code 0x{rv:x}).", real=real, rv=exc.rv),
                    code=KeyStoreCode.NSS_DATABASE,
                ) from exc
            finally:
                session.close()
            try:
                module.raw.token_info(slot_id)
            except raw.RawError as exc:
                raise _not_nss(Path(real)) from exc
        _OPENED[real] = slot_id
        return slot_id


def open_database(
    directory: Path | str, pin_callback: PinCallback, *, label: str | None = None, create: bool = False
) -> Pkcs11Store:
    """An NSS database as a key store (the password, if any, is asked on first key use).

    With `create`, a missing database is made the way Chrome makes ~/.pki/nssdb: a private folder
    and an empty password (the user's session protects it, as for Chrome's own keys).
    """
    directory = Path(str(directory).removeprefix("sql:").removeprefix("nss:")).expanduser()
    fresh = create and not (directory / "cert9.db").is_file()
    if fresh:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not directory.is_dir():
        raise _not_nss(directory)
    database_prefix(directory, create=fresh)
    label = label or _default_label(directory)
    module = softoken()
    slot_id = _slot_for(module, directory, label, create=fresh)
    if fresh:
        _initialise_empty_password(module, slot_id)
    return Pkcs11Store(
        module,
        slot_id,
        pin_callback,
        kind=StoreKind.NSS,
        label=label,
        pin_kind="password",
        uri_override=f"nss:{os.path.realpath(directory)}",
    )


def _initialise_empty_password(module: LoadedModule, slot_id: int) -> None:
    """`certutil -N --empty-password`: a new database's key store needs its (empty) password set."""
    with module.lock:
        if module.raw.token_info(slot_id).flags & raw.CKF_USER_PIN_INITIALIZED:
            return
        slot = next(s for s in module.lib.get_slots() if int(s.slot_id) == slot_id)
        session = slot.get_token().open(rw=True, so_pin="")
        try:
            session.init_pin("")
        finally:
            session.close()


def _default_label(directory: Path) -> str:
    home = str(Path.home())
    shown = str(directory)
    if shown.startswith(home + os.sep):
        shown = "~" + shown[len(home) :]
    return f"NSS ({shown})"


# --------------------------------------------------------------------------------------------
# Where users' NSS databases are


def firefox_profile_roots(home: Path) -> list[tuple[str, Path]]:
    return [
        ("Firefox", home / ".mozilla" / "firefox"),
        ("Firefox (snap)", home / "snap" / "firefox" / "common" / ".mozilla" / "firefox"),
        ("Firefox (flatpak)", home / ".var" / "app" / "org.mozilla.firefox" / ".mozilla" / "firefox"),
        ("Thunderbird", home / ".thunderbird"),
    ]


def firefox_profiles(home: Path | None = None) -> list[NssDatabase]:
    """Profiles named in each profiles.ini (relative or absolute paths), holding a database."""
    home = home or Path.home()
    found: list[NssDatabase] = []
    for app, root in firefox_profile_roots(home):
        ini = root / "profiles.ini"
        if not ini.is_file():
            continue
        parser = configparser.RawConfigParser(strict=False)
        try:
            parser.read(ini, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue
        for section in parser.sections():
            if not section.lower().startswith("profile"):
                continue
            path = parser.get(section, "Path", fallback="")
            if not path:
                continue
            relative = parser.get(section, "IsRelative", fallback="1").strip() != "0"
            directory = root / path if relative else Path(path)
            if (directory / "cert9.db").is_file() or (directory / "cert8.db").is_file():
                name = parser.get(section, "Name", fallback=directory.name)
                found.append(NssDatabase(directory, f"{app} ({name})"))
    return found


def nss_databases(extra: list[str] | None = None, *, home: Path | None = None) -> list[NssDatabase]:
    """Chrome's shared database, every Firefox/Thunderbird profile, then those in the settings."""
    if sys.platform in ("win32", "darwin"):
        candidates: list[NssDatabase] = []
    else:
        home = home or Path.home()
        candidates = [NssDatabase(home / ".pki" / "nssdb", "NSS (~/.pki/nssdb)"), *firefox_profiles(home)]
    for entry in extra or []:
        directory = Path(entry.removeprefix("sql:").removeprefix("nss:")).expanduser()
        candidates.append(NssDatabase(directory, _default_label(directory)))
    result: list[NssDatabase] = []
    seen: set[str] = set()
    for db in candidates:
        real = os.path.realpath(db.directory)
        if real in seen:
            continue
        if not ((db.directory / "cert9.db").is_file() or (db.directory / "cert8.db").is_file()):
            continue
        seen.add(real)
        result.append(db)
    return result
