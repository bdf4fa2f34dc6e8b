""" "Préparer mon dépôt": a company's whole bid folder signed with one PIN, checked against the
platform's rules and the buyer's verification, with an upload-time estimate and a summary.

scan (the folder) -> plan (a format per file) -> checks (problems) -> deposit (signing, one PIN)
-> buyer (the verification report the buyer will see) -> summary (one-page PDF); estimate (the
upload time against the deadline); workflow ties them for the CLI and the UI.
"""

#: The package's public modules, imported by their full name (the package itself imports none of
#: them, so that importing it stays cheap).
__all__ = ["buyer", "checks", "deposit", "errors", "estimate", "plan", "rules", "scan", "summary", "workflow"]
