"""`assistant jobs`: the "Traitements distants" history (Début, Fin, résultat)."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from assistant.i18n import _, localized
from assistant.jobs.journal import Journal
from assistant.jobs.model import JobState
from assistant.ui.labels import job_title


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, default=50, help=_("nombre de traitements affichés"))
    parser.add_argument("--json", action="store_true")


def _local(value: str | None) -> str:
    if not value:
        return "—"
    try:
        return dt.datetime.fromisoformat(value).astimezone().strftime("%d/%m/%Y - %H:%M:%S")
    except ValueError:
        return value


def run(args: argparse.Namespace) -> int:
    journal = Journal()
    journal.mark_interrupted()
    entries = journal.history(args.limit)
    journal.close()
    if args.json:
        print(json.dumps([e.to_json() for e in entries], ensure_ascii=False, indent=2))
        return 0
    if not entries:
        print(_("Aucun traitement distant."))
        return 0
    print(_("Traitements distants"))
    for entry in entries:
        try:
            state = _(JobState(entry.state).label_fr)
        except ValueError:
            state = entry.state
        origin = _("vous-même") if entry.origin == "local" else entry.origin
        print(f"- {job_title(entry.title)}  [{state}]  ({origin})")
        print(_("  Début : {date}").format(date=_local(entry.started_at or entry.created_at)))
        print(_("  Fin : {date}").format(date=_local(entry.ended_at)))
        if entry.error:
            print(_("  Erreur : {message}").format(message=localized(entry.error.message, entry.error.message_en)))
    return 0
