"""macOS login keychain through Security.framework.

`logic` is pure (algorithm constants, error messages, identity selection) and tested on every
platform; `_security` is the only module that calls macOS, and it refuses to import elsewhere;
`store` is the KeyStore backend joining the two, importable everywhere, usable on macOS only.
"""
