"""The main window's pages, one module each."""

#: The package's public modules, imported by their full name (the package itself imports none of
#: them, so that importing it stays cheap).
__all__ = ["certificates", "diagnostics", "home", "jobs", "prepare", "sign_wizard"]
