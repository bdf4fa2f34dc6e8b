"""One module per job type, each with `run(ctx, params) -> result` on its own parameter and result
classes (assistant.jobs.params, assistant.jobs.results); assistant.jobs.registry maps job types
to them."""

__all__ = ["decrypt", "diagnose", "download", "keygen", "open", "prepare", "sign", "verify"]
