"""Bi-clé creation: the key pair in the chosen store, its public certificate sent to the platform."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization

from assistant.jobs.engine import JobContext, RunnerResult
from assistant.jobs.runners.common import platform_client
from assistant.progress import ProgressUpdate


def run(ctx: JobContext) -> RunnerResult:
    from assistant.envelopes.bicle import create_bicle

    params = ctx.params
    from assistant.envelopes.bicle import DEFAULT_KEY_SIZE

    name: str = params["name"]
    store = params.get("store", "vault")
    ctx.report(ProgressUpdate(step=1, steps=3, label="Création du bi-clé de chiffrement"), fraction=0.1)
    result = create_bicle(store, name, ctx.pin_callback, cn=params.get("cn"), key_size=params.get("key_size", DEFAULT_KEY_SIZE), settings=ctx.settings, allow_module_path=ctx.job.is_local)
    public = {k: v for k, v in result.to_dict().items() if k not in ("cert_out", "backup", "location")}
    if params.get("upload_url"):
        ctx.report(ProgressUpdate(step=2, steps=3, label="Envoi du certificat public à la plateforme"), fraction=0.7)
        client = platform_client(ctx, ctx.token)
        try:
            pem = result.certificate.public_bytes(serialization.Encoding.PEM)
            client.upload(params["upload_url"], pem, content_type="application/x-pem-file", what="envoi du certificat", cancel=ctx.cancel)
        finally:
            client.close()
        public["uploaded"] = True
    ctx.report(ProgressUpdate(step=3, steps=3, label="Bi-clé créé"), fraction=1.0)
    return RunnerResult(public, {"location": result.location})
