"""argparse's own words ("usage:", "positional arguments", "error: …") in the user's language.

Python ships argparse's messages in English only, looked up through `gettext.gettext` with no
French catalogue anywhere. The command line speaks French first like the rest of the product, so
argparse's English messages are mapped here to French source strings, which go through our
catalogue like any other (French, or the English of assistant.po — argparse's own words again).
`install()` points argparse's two gettext hooks at this table; it is called before a parser is
built, since argparse translates some words ("options") when a parser is made.
"""

from __future__ import annotations

import argparse

from assistant.i18n import N_, _

__all__ = ["ARGPARSE_WORDS", "install"]

#: argparse's English message (its gettext msgid, Python 3.11+) -> our French source string.
#: The %-placeholders stay argparse's own: it formats the text after translating it.
ARGPARSE_WORDS: dict[str, str] = {
    "usage: ": N_("utilisation : "),
    "positional arguments": N_("arguments positionnels"),
    "options": N_("options"),
    "optional arguments": N_("options"),
    "show this help message and exit": N_("afficher cette aide et quitter"),
    "show program's version number and exit": N_("afficher la version et quitter"),
    "%(prog)s: error: %(message)s\n": N_("%(prog)s : erreur : %(message)s\n"),
    "argument %(argument_name)s: %(message)s": N_("argument %(argument_name)s : %(message)s"),
    "unrecognized arguments: %s": N_("arguments non reconnus : %s"),
    "the following arguments are required: %s": N_("arguments obligatoires manquants : %s"),
    "one of the arguments %s is required": N_("l'un des arguments %s est obligatoire"),
    "not allowed with argument %s": N_("incompatible avec l'argument %s"),
    "ignored explicit argument %r": N_("argument explicite ignoré : %r"),
    "expected one argument": N_("une valeur attendue"),
    "expected at most one argument": N_("au plus une valeur attendue"),
    "expected at least one argument": N_("au moins une valeur attendue"),
    "ambiguous option: %(option)s could match %(matches)s": N_("option ambiguë : %(option)s peut désigner %(matches)s"),
    "unexpected option string: %s": N_("option inattendue : %s"),
    "invalid %(type)s value: %(value)r": N_("valeur %(type)s invalide : %(value)r"),
    "invalid choice: %(value)r (choose from %(choices)s)": N_("choix invalide : %(value)r (choisir parmi %(choices)s)"),
    "unknown parser %(parser_name)r (choices: %(choices)s)": N_(
        "commande inconnue %(parser_name)r (choix : %(choices)s)"
    ),
    "can't open '%(filename)s': %(error)s": N_("impossible d'ouvrir « %(filename)s » : %(error)s"),
}

#: ngettext pairs argparse uses: (singular, plural) -> our French (singular, plural).
_PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("expected %s argument", "expected %s arguments"): (N_("%s valeur attendue"), N_("%s valeurs attendues")),
}


def _translate(message: str) -> str:
    french = ARGPARSE_WORDS.get(message)
    return message if french is None else _(french)


def _ntranslate(singular: str, plural: str, n: int) -> str:
    pair = _PLURALS.get((singular, plural))
    if pair is None:
        return singular if n == 1 else plural
    return _(pair[0] if n == 1 else pair[1])


def install() -> None:
    """Make argparse speak the user's language (idempotent)."""
    argparse._ = _translate  # type: ignore[attr-defined]
    argparse.ngettext = _ntranslate  # type: ignore[attr-defined]
