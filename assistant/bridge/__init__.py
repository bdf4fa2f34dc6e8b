"""The local bridge: the HTTPS/HTTP server on 127.0.0.1 that platform pages call, its guards, approved
origins, CA and browser trust, and pairing."""

#: The package's public modules, imported by their full name (the package itself imports none of
#: them, so that importing it stays cheap).
__all__ = [
    "access",
    "api",
    "ca",
    "connections",
    "errors",
    "guards",
    "instance",
    "origins",
    "pairing",
    "server",
    "tls",
    "trust",
]
