"""One module per `assistant <name>` subcommand (assistant/cli.py loads them lazily)."""

#: The package's public modules, imported by their full name (the package itself imports none of
#: them, so that importing it stays cheap).
__all__ = [
    "bridge",
    "certs",
    "decrypt",
    "demo",
    "diagnose",
    "download",
    "errors",
    "import_p12",
    "jobcli",
    "jobs",
    "keygen",
    "open_online",
    "origins",
    "platform_ca",
    "prepare",
    "run",
    "sign",
    "terminal",
    "trusted_lists",
    "verify",
]
