"""A platform's files: verified, resumable, segmented downloads and uploads over assistant.transport."""

#: The package's public modules, imported by their full name (the package itself imports none of
#: them, so that importing it stays cheap).
__all__ = ["client", "errors", "segmented", "writeback"]
