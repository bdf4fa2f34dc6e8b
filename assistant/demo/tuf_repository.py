"""The demo platform's update repository: static TUF files under /tuf/ (metadata/ and targets/),
served from `<demo data dir>/tuf/`, so the whole update loop runs on this machine.

`assistant release --repo <demo data dir>/tuf` (make release) or the tests publish into that folder;
this route only serves files: the clients' trust comes from the signatures, not from the server.
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote

PREFIX = "/tuf/"
CHUNK = 1 << 20


def repository_dir(data_dir: Path) -> Path:
    return data_dir / "tuf"


def serve(handler: Any, data_dir: Path, path: str) -> None:
    """Answer GET /tuf/<metadata|targets>/<file> from the repository folder (404 otherwise)."""
    root = repository_dir(data_dir).resolve()
    rel = unquote(path[len(PREFIX) :])
    candidate = (root / rel).resolve()
    if not rel.startswith(("metadata/", "targets/")) or root not in candidate.parents or not candidate.is_file():
        body = b'{"error": "not found"}'
        handler.send_response(HTTPStatus.NOT_FOUND)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        return
    size = candidate.stat().st_size
    handler.send_response(HTTPStatus.OK)
    handler.send_header(
        "Content-Type", "application/json" if candidate.suffix == ".json" else "application/octet-stream"
    )
    handler.send_header("Content-Length", str(size))
    handler.send_header("Cache-Control", "no-store")
    handler.end_headers()
    with candidate.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            handler.wfile.write(chunk)
