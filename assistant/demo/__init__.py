"""The demo platform: a small real HTTP server that plays a procurement platform on 127.0.0.1."""

#: The package's public modules, imported by their full name (the package itself imports none of
#: them, so that importing it stays cheap).
__all__ = ["bigbid", "content", "material", "server", "tls", "upload_test"]
