"""Jobs: typed parameters and results per job type, descriptor validation, the engine, the journal and
the runners."""

#: The package's public modules, imported by their full name (the package itself imports none of
#: them, so that importing it stays cheap).
__all__ = [
    "context",
    "descriptor",
    "engine",
    "errors",
    "interaction",
    "journal",
    "model",
    "names",
    "params",
    "registry",
    "results",
    "runners",
]
