"""Key stores: one Credential interface over PKCS#11, NSS, PKCS#12, the vault, Windows and macOS;
inventory and conformity."""

#: The package's public modules, imported by their full name (the package itself imports none of
#: them, so that importing it stays cheap).
__all__ = [
    "base",
    "conformity",
    "discovery",
    "errors",
    "importer",
    "inventory",
    "macos",
    "names",
    "osstore",
    "pkcs11",
    "pkcs12",
    "selection",
    "software",
    "vault",
    "windows",
]
