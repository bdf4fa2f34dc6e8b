"""Finding PKCS#11 modules, and loading each one once per process.

Discovery follows what users expect from their other applications: first p11-kit's registry (the
`.module` files Debian, Fedora and the middleware installers drop), then the well-known install
paths of the middleware French users are given with their certificates (OpenSC, Idopte for
ChamberSign, SafeNet/Thales eToken and IDPrime, Gemalto Classic Client, IDEMIA/Oberthur AWP), then
the modules the user added in the settings. Reading the `.module` files ourselves rather than
asking p11-kit's proxy matters: the proxy ignores per-user configuration when running as root.

A module path never comes from a web page or a job: only from this discovery, the settings, or the
user's own command line (see `selection.resolve_key(allow_module_path=...)`).

Loading: a PKCS#11 library may be initialised once per process, and python-pkcs11 keeps a
`pkcs11.lib` per path string. We initialise through `raw.RawModule` (so that NSS's softoken gets
its parameters and every module is told it may use OS locking), then hand python-pkcs11 an object
that skips its own argument-less C_Initialize, and register it under every spelling of the path so
that pyHanko or a colleague calling `pkcs11.lib(path)` in the same process shares it.
"""

from __future__ import annotations

import enum
import glob
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.i18n import M_, Message
from assistant.keystores.base import ModuleMissingError
from assistant.keystores.pkcs11.raw import RawError, RawModule


class ModuleSource(enum.StrEnum):
    P11KIT = "p11-kit"
    WELL_KNOWN = "well-known"
    SETTINGS = "settings"
    COMMAND_LINE = "command-line"


@dataclass(frozen=True)
class ModuleInfo:
    path: str  # absolute, as found (not resolved: the user recognises it)
    name: str  # "opensc-pkcs11", "SafeNet eToken", ...
    source: ModuleSource


# --------------------------------------------------------------------------------------------
# Well-known middleware paths. Keep names as vendors install them; several spellings per vendor.

_LINUX_LIB_DIRS = [
    "/usr/lib",
    "/usr/lib64",
    "/usr/local/lib",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
]

WELL_KNOWN_LINUX: list[tuple[str, list[str]]] = [
    ("OpenSC", ["opensc-pkcs11.so", "pkcs11/opensc-pkcs11.so"]),
    ("Idopte (ChamberSign)", ["libidop11.so", "idopte/libidop11.so", "/opt/idopte/lib/libidop11.so"]),
    ("SafeNet eToken", ["libeTPkcs11.so", "libeToken.so", "/opt/SafeNet/lib/libeTPkcs11.so"]),
    ("Thales/Gemalto IDPrime", ["libIDPrimePKCS11.so", "/opt/SafeNet/lib/libIDPrimePKCS11.so"]),
    ("Gemalto Classic Client", ["libgclib.so", "pkcs11/libgclib.so", "/usr/lib/ClassicClient/libgclib.so"]),
    ("IDEMIA/Oberthur AWP", ["libOcsCryptoki.so", "/usr/local/AWP/lib/libOcsCryptoki.so"]),
    ("IDEMIA IDProtect", ["libidprotectclient.so", "libcryptoki.so"]),
    ("CertEurope/Certinomis (Bit4id)", ["libbit4xpki.so", "libbit4ipki.so"]),
]

WELL_KNOWN_WINDOWS: list[tuple[str, list[str]]] = [
    (
        "OpenSC",
        [r"%ProgramFiles%\OpenSC Project\OpenSC\pkcs11\opensc-pkcs11.dll", r"%SystemRoot%\System32\opensc-pkcs11.dll"],
    ),
    ("Idopte (ChamberSign)", [r"%SystemRoot%\System32\idoPKCS.dll", r"%ProgramFiles%\Idopte\SCMiddleware\idoPKCS.dll"]),
    ("SafeNet eToken", [r"%SystemRoot%\System32\eTPKCS11.dll"]),
    ("Thales/Gemalto IDPrime", [r"%SystemRoot%\System32\IDPrimePKCS11.dll"]),
    ("Gemalto Classic Client", [r"%ProgramFiles%\Gemalto\Classic Client\BIN\gclib.dll"]),
    (
        "IDEMIA/Oberthur AWP",
        [r"%SystemRoot%\System32\OcsCryptoki.dll", r"%ProgramFiles%\Oberthur Technologies\AWP\DLLs\OcsCryptoki.dll"],
    ),
    ("CertEurope/Certinomis (Bit4id)", [r"%SystemRoot%\System32\bit4xpki.dll", r"%SystemRoot%\System32\bit4ipki.dll"]),
]

WELL_KNOWN_MACOS: list[tuple[str, list[str]]] = [
    (
        "OpenSC",
        [
            "/Library/OpenSC/lib/opensc-pkcs11.so",
            "/usr/local/lib/opensc-pkcs11.so",
            "/opt/homebrew/lib/opensc-pkcs11.so",
        ],
    ),
    (
        "Idopte (ChamberSign)",
        ["/usr/local/lib/libidop11.dylib", "/Library/Frameworks/Idopte.framework/libidop11.dylib"],
    ),
    (
        "SafeNet eToken",
        ["/usr/local/lib/libeTPkcs11.dylib", "/Library/Frameworks/eToken.framework/Versions/A/libeToken.dylib"],
    ),
    ("Thales/Gemalto IDPrime", ["/usr/local/lib/libIDPrimePKCS11.dylib"]),
    ("Gemalto Classic Client", ["/usr/local/lib/ClassicClient/libgclib.dylib"]),
    (
        "IDEMIA/Oberthur AWP",
        ["/Library/Frameworks/OcsCryptoki.framework/OcsCryptoki", "/usr/local/lib/libOcsCryptoki.dylib"],
    ),
    ("CertEurope/Certinomis (Bit4id)", ["/usr/local/lib/libbit4xpki.dylib"]),
]

#: p11-kit modules that hold no user keys (trust anchors, proxies, debugging wrappers).
_SKIPPED_NAMES = {
    "p11-kit-trust.so",
    "p11-kit-proxy.so",
    "p11-kit-client.so",
    "pkcs11-spy.so",
    "onepin-opensc-pkcs11.so",
}


def _p11kit_module_dir() -> str:
    for candidate in (
        "/usr/lib/x86_64-linux-gnu/pkcs11",
        "/usr/lib/aarch64-linux-gnu/pkcs11",
        "/usr/lib64/pkcs11",
        "/usr/lib/pkcs11",
    ):
        if os.path.isdir(candidate):
            return candidate
    return "/usr/lib/pkcs11"


def _p11kit_config_dirs() -> list[Path]:
    dirs = [Path("/usr/share/p11-kit/modules"), Path("/etc/pkcs11/modules")]
    home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    dirs.append(home / "pkcs11" / "modules")
    return dirs


def parse_module_file(text: str) -> dict[str, str]:
    """p11-kit's `key: value` format (pkcs11.conf(5)); comments start with '#'."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        key, _, value = line.partition(":")
        values[key.strip().lower()] = value.strip()
    return values


def p11kit_modules(config_dirs: list[Path] | None = None) -> list[ModuleInfo]:
    found: list[ModuleInfo] = []
    seen_names: set[str] = set()
    # User files override system files of the same name, as in p11-kit.
    for directory in reversed(config_dirs or _p11kit_config_dirs()):
        try:
            entries = sorted(directory.glob("*.module"))
        except OSError:
            continue
        for entry in entries:
            if entry.stem in seen_names:
                continue
            seen_names.add(entry.stem)
            try:
                config = parse_module_file(entry.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                continue
            module = config.get("module", "")
            if not module or config.get("trust-policy", "no").lower() == "yes":
                continue
            if config.get("enable-in") or "assistant" in config.get("disable-in", ""):
                continue  # the module's author limited it to named programs
            if os.path.basename(module) in _SKIPPED_NAMES:
                continue
            path = module if os.path.isabs(module) else os.path.join(_p11kit_module_dir(), module)
            found.append(ModuleInfo(path, entry.stem, ModuleSource.P11KIT))
    return found


def well_known_modules(platform: str | None = None) -> list[ModuleInfo]:
    platform = platform or sys.platform
    found: list[ModuleInfo] = []
    if platform == "win32":
        table = WELL_KNOWN_WINDOWS
    elif platform == "darwin":
        table = WELL_KNOWN_MACOS
    else:
        table = WELL_KNOWN_LINUX
    for name, candidates in table:
        for candidate in candidates:
            for path in _expand(candidate, platform):
                if os.path.isfile(path):
                    found.append(ModuleInfo(path, name, ModuleSource.WELL_KNOWN))
    return found


def _expand(candidate: str, platform: str) -> list[str]:
    if platform == "win32":
        return [os.path.expandvars(candidate)]
    if os.path.isabs(candidate):
        return sorted(glob.glob(candidate)) or [candidate]
    return [os.path.join(directory, candidate) for directory in _LINUX_LIB_DIRS]


def discover_modules(settings_modules: list[str] | None = None, *, autodiscover: bool = True) -> list[ModuleInfo]:
    """Every module to try, in the order users expect, each file once (by its real path)."""
    candidates: list[ModuleInfo] = []
    if autodiscover:
        candidates += p11kit_modules() + well_known_modules()
    candidates += [ModuleInfo(p, os.path.basename(p), ModuleSource.SETTINGS) for p in settings_modules or []]
    result: list[ModuleInfo] = []
    seen: set[str] = set()
    for info in candidates:
        real = os.path.realpath(info.path)
        if info.source is not ModuleSource.SETTINGS and not os.path.isfile(real):
            continue
        if real in seen or os.path.basename(real) in _SKIPPED_NAMES:
            continue
        seen.add(real)
        result.append(info)
    return result


def is_discovered(path: str, settings_modules: list[str] | None = None) -> bool:
    """True when `path` is a module the assistant found itself (the only ones a job may name)."""
    real = os.path.realpath(path)
    return any(os.path.realpath(m.path) == real for m in discover_modules(settings_modules))


# --------------------------------------------------------------------------------------------
# Loading, once per process


@dataclass
class LoadedModule:
    """One initialised module: python-pkcs11's handle, the raw function table and the module lock.

    The lock serialises every call into the module: sessions are not thread-safe, and a module
    initialised without OS locking support is not either.
    """

    path: str
    lib: Any  # pkcs11._pkcs11.lib
    raw: RawModule
    lock: threading.RLock = field(default_factory=threading.RLock)
    description: str = ""


_LOADED: dict[str, LoadedModule] = {}
_REGISTRY_LOCK = threading.Lock()


def _missing(path: str, reason: Message) -> ModuleMissingError:
    return ModuleMissingError(
        M_(
            "Le module PKCS#11 {path} est introuvable ou inutilisable ({reason}). Installez ou réinstallez le "
            "logiciel de votre carte (middleware), ou corrigez le chemin dans les réglages.",
            path=path,
            reason=reason,
        )
    )


def load_module(path: str, *, library_parameters: str | None = None) -> LoadedModule:
    """Load and initialise `path` once for the whole process (later calls return the same object)."""
    real = os.path.realpath(path)
    with _REGISTRY_LOCK:
        loaded = _LOADED.get(real)
        if loaded is not None:
            return loaded
        if not os.path.isfile(real):
            raise _missing(path, M_("fichier absent"))
        try:
            raw = RawModule(real)
        except (OSError, AttributeError, RawError) as exc:
            raise _missing(path, M_("ce n'est pas un module PKCS#11 chargeable")) from exc
        import pkcs11
        from pkcs11 import _pkcs11

        existing = pkcs11._loaded.get(real) or pkcs11._loaded.get(path)
        if existing is not None:
            lib = existing
        else:
            try:
                raw.initialize(library_parameters)
            except RawError as exc:
                raise _missing(path, M_("initialisation refusée, code 0x{rv:x}", rv=exc.rv)) from exc

            class _Initialised(_pkcs11.lib):
                """C_Initialize was made by RawModule with the right arguments: skip python-pkcs11's."""

                def initialize(self) -> None:
                    pass

            lib = _Initialised(real)
        for alias in {real, path}:
            pkcs11._loaded.setdefault(alias, lib)
        loaded = LoadedModule(real, lib, raw, description=str(getattr(lib, "library_description", "")))
        _LOADED[real] = loaded
        return loaded


def loaded_modules() -> list[LoadedModule]:
    with _REGISTRY_LOCK:
        return list(_LOADED.values())
