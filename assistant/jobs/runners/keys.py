"""Finding the credential a job uses: the one the local user named, or the one the user picks.

A page never names a key (the descriptor refuses it): for page-queued jobs the user chooses among
the credentials of every store (UserInteraction.choose_credential). The local user may name one
(`--key`: PKCS#11 URI, .p12 path, sha256:…, vault:…), resolved by keystores.selection.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.errors import AssistantError
from assistant.i18n import M_
from assistant.jobs.context import JobContext
from assistant.jobs.errors import JobCode
from assistant.keystores.base import Credential


class NoCredentialError(AssistantError):
    code: str = JobCode.NO_CREDENTIAL


def _resolve_spec(spec: str, ctx: JobContext) -> Credential:
    from assistant.keystores.selection import resolve_key

    credential: Credential = resolve_key(
        spec, ctx.pin_callback, settings=ctx.settings, allow_module_path=ctx.job.is_local
    )
    return credential


def credential_for_job(ctx: JobContext, purpose: str, spec: str | None) -> tuple[Credential, Callable[[], None]]:
    """The credential to use (`spec`: the key the local user named, if any) and a function
    closing what was opened for it."""
    if spec:
        credential = _resolve_spec(spec, ctx)

        def release() -> None:
            from assistant.keystores.selection import release as release_credential

            release_credential(credential)

        return credential, release
    from assistant.keystores.inventory import usable_credentials

    # One entry per certificate, from its safest store, procurement-ready first; a broken store
    # is skipped rather than stopping the job, and no .p12 password is asked before the choice.
    candidates, stores = usable_credentials(ctx.pin_callback, ctx.settings, purpose=purpose)
    chosen = ctx.choose_credential(candidates)
    if chosen is None:
        stores.close()
        if purpose == "decrypt":
            message = (
                M_("Aucun certificat de déchiffrement (bi-clé) choisi : traitement arrêté.")
                if candidates
                else M_("Aucun certificat de déchiffrement (bi-clé) n'a été trouvé sur ce poste.")
            )
        else:
            message = (
                M_("Aucun certificat de signature choisi : traitement arrêté.")
                if candidates
                else M_("Aucun certificat de signature n'a été trouvé sur ce poste.")
            )
        raise NoCredentialError(message)
    if any(chosen is candidate for candidate in candidates):
        return chosen, stores.close

    def release_all() -> None:
        # The interaction found the key outside the inventory (an operator-approved PKCS#11 URI):
        # its store must be logged out too, or the card stays unlocked after the job.
        from assistant.keystores.selection import release as release_credential

        stores.close()
        release_credential(chosen)

    return chosen, release_all
