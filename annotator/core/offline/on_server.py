"""The offline checkout and check-in on a team database (PostgreSQL), through the server's
functions (migration 0007, docs/adr/0009): an annotator's login claims through queue_claim,
records its checkout with queue_checkout, and hands each piece of work back in with
queue_checkin_answer and queue_checkin_draft, each checked and applied by the server."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from annotator.core.auth import Actor
from annotator.core.queue_pg import driver, refusals
from annotator.db.models import OfflineBundle, User
from annotator.errors import AnnotatorError


def checkout_user(session: Session, actor: Actor, user_name: str, password: str | None, now: datetime) -> User:
    """The bundle's user: on a team database only the connected login itself. A stand-in row for
    the bundle, whose password (for logging in to it offline) is the login's own."""
    from annotator.core.auth import hash_password

    if actor.name != user_name:
        raise AnnotatorError(f"On a team database each person checks out their own work: {user_name} logs in "
                             f"and checks out, not {actor.name}.")
    return User(id=actor.id, name=actor.name, password_hash=hash_password(password) if password else "",
                role="annotator", active=True, created_at=now)


def record_checkout(session: Session, record: OfflineBundle, assignment_ids: list[int], file: str,
                    now: datetime) -> datetime:
    """The checkout's record, kept by the server, which also gives the claims the project's
    offline lease. Returns that lease."""
    with refusals():
        return driver(session).execute(
            "SELECT queue_checkout(%s, %s, %s, %s, %s, %s, %s)",
            (record.id, assignment_ids, record.source_database_id, record.source_url, record.manifest_sha256, file,
             now)).fetchone()[0]


def check_in(session: Session, record: OfflineBundle, work: list, report, release_unfinished: bool,
             now: datetime) -> None:
    """Hand each piece of the bundle's work to the server, counting into `report` what became of it."""
    from psycopg.types.json import Jsonb

    conn = driver(session)
    with refusals():
        for w in work:
            if w.answer is not None and w.status in ("submitted", "approved"):
                outcome, reason, external_id = conn.execute(
                    "SELECT outcome, reason, external_id FROM queue_checkin_answer(%s, %s, %s, %s, %s, %s, %s)",
                    (record.id, w.uid, Jsonb(w.answer), float(w.active_seconds), w.submitted_at, w.version, now),
                ).fetchone()
                if outcome == "conflict":
                    report.conflict_reasons.append(f"{external_id}: {reason}")
                    report.conflicts += 1
                else:
                    setattr(report, outcome, getattr(report, outcome) + 1)  # deleted, unchanged, submitted
                continue
            outcome = conn.execute(
                "SELECT queue_checkin_draft(%s, %s, %s, %s, %s, %s, %s)",
                (record.id, w.uid, None if w.draft is None else Jsonb(w.draft), float(w.active_seconds),
                 release_unfinished, w.skipped, now),
            ).fetchone()[0]
            for part in outcome.split("+"):
                attribute = {"saved": "drafts_saved", "not started": "not_started"}.get(part, part)
                setattr(report, attribute, getattr(report, attribute) + 1)  # also deleted, released, unchanged
        summary = {"submitted": report.submitted, "drafts": report.drafts_saved, "unchanged": report.unchanged,
                   "conflicts": report.conflicts, "released": report.released}
        conn.execute("SELECT queue_checkin_done(%s, %s, %s, %s)",
                     (record.id, Jsonb(summary), not report.changed_nothing, now))
