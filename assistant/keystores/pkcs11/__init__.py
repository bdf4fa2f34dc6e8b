"""PKCS#11 key stores: smart cards and USB tokens, and NSS databases through NSS's softoken.

`modules` finds and loads modules (once per process), `backend` turns a token into a KeyStore,
`nss` opens NSS databases as extra softoken slots, `uri` parses RFC 7512 URIs and `raw` holds the
few calls python-pkcs11 does not expose.
"""

#: The package's public modules, imported by their full name (the package itself imports none of
#: them, so that importing it stays cheap).
__all__ = ["backend", "modules", "nss", "oaep", "objects", "raw", "tokens", "uri"]
