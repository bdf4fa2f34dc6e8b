"""Windows certificate store (CurrentUser\\MY) through CNG, with CryptoAPI for legacy CSP keys.

`logic` is pure (flags, mechanism mapping, error messages, byte-order fixes) and tested on every
platform; `_win32` is the only module that calls Windows, and it refuses to import elsewhere;
`store` is the KeyStore backend joining the two, importable everywhere, usable on Windows only.
"""
