"""Automatic updates on The Update Framework (python-tuf's ngclient).

Why TUF and not a scheme of our own: an updater is the most valuable target on a workstation that
signs public tenders. TUF's metadata (root, targets, snapshot, timestamp; each signed by its own
keys with a threshold, each expiring) defends against what a signed-file-plus-URL scheme misses:
a compromised mirror serving an old vulnerable release (rollback), withholding updates (freeze,
through the timestamp's short expiry), mix-and-match of metadata, endless downloads, and the loss
of one key (root rotation). ngclient is the reference client, small, and pure Python.

Modules: `config` (settings + IT policy), `client` (check, download, stage: ngclient only),
`apply` (install on next start, roll back if the new version does not start), `gate` (the minimum
version that lets this assistant take remote jobs), `publish` (the publisher's side: `make release`
and the demo platform's repository), `layout` (the per-user install's folders).
"""

__all__ = ["apply", "client", "config", "errors", "gate", "layout", "publish", "scheduler", "versions"]
