"""Windows certificate store (CurrentUser\\MY) through CNG, with CryptoAPI for legacy CSP keys.

`logic` is pure (flags, mechanism mapping, error messages, byte-order fixes) and tested on every
platform; `_win32` is the only module that calls Windows, and it refuses to import elsewhere;
`store` is the KeyStore backend joining the two, importable everywhere, usable on Windows only.
"""

#: The package's public modules, imported by their full name (the package itself imports none of
#: them, so that importing it stays cheap).
__all__ = ["logic", "store"]
