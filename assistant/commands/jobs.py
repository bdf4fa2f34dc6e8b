"""`assistant jobs`: the "Traitements distants" history (Début, Fin, résultat)."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from assistant.jobs.journal import Journal
from assistant.jobs.model import JobState


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, default=50, help="nombre de traitements affichés")
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
        print("Aucun traitement distant.")
        return 0
    print("Traitements distants")
    for entry in entries:
        try:
            state = JobState(entry.state).label_fr
        except ValueError:
            state = entry.state
        origin = "vous-même" if entry.origin == "local" else entry.origin
        print(f"- {entry.title}  [{state}]  ({origin})")
        print(f"  Début : {_local(entry.started_at or entry.created_at)}")
        print(f"  Fin : {_local(entry.ended_at)}")
        if entry.error:
            print(f"  Erreur : {entry.error.message}")
    return 0
