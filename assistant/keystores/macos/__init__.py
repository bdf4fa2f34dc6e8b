"""macOS login keychain through Security.framework.

`logic` is pure (algorithm constants, error messages, identity selection) and tested on every
platform; `_security` is the only module that calls macOS, and it refuses to import elsewhere;
`store` is the KeyStore backend joining the two, importable everywhere, usable on macOS only.
"""

#: The package's public modules, imported by their full name (the package itself imports none of
#: them, so that importing it stays cheap).
__all__ = ["logic", "store"]
