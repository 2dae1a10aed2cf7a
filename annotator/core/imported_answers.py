"""Answers a source recorded for several annotators (Label Studio's annotations), imported with
`--as answers` as those people's handed-in work: one submitted assignment each, waiting for a
lead's review like any other, and counted against the item's overlap. Each of the source's
annotators must be an Annotator user: by the same name, by the name before their e-mail's `@`,
or as the `--annotator SOURCE=USER` mapping says. The import names every one it cannot find,
and writes nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotator.db.base import utcnow
from annotator.db.models import Membership, User
from annotator.errors import AnnotatorError, BadInput
from annotator.formats import ImportedAnswer, ItemRecord
from annotator.formats.base import parse_pairs


@dataclass(frozen=True)
class WhoIsWho:
    users: dict[str, int]  # the source's name for an annotator → their Annotator user id
    to_join: list[str]  # Annotator users who are not yet members of the project


def parse_annotators(pairs: list[str], where: str) -> dict[str, str]:
    """`--annotator hakan@heartex.com=hakan` (repeatable) as {source name: user name}."""
    return parse_pairs(pairs, where, "--annotator", "SOURCE=USER", "hakan@example.com=hakan")


def resolve(session: Session, project_id: int, records: list[ItemRecord], mapping: dict[str, str]) -> WhoIsWho:
    """Each of the source's annotators as an Annotator user, or one error naming all who are not."""
    names = {name: uid for uid, name in session.execute(select(User.id, User.name).where(User.active))}
    first: dict[str, ImportedAnswer] = {}
    counts: Counter[str] = Counter()
    for record in records:
        for answer in record.answers:
            first.setdefault(answer.annotator, answer)
            counts[answer.annotator] += 1
    if not first:
        raise BadInput(records[0].file if records else "the source",
                       "--as answers takes the answers of named annotators (a Label Studio export's annotations); "
                       "this source has none")
    found, missing = {}, []
    for key in sorted(first):
        name = mapping.get(key) or (key if key in names else key.partition("@")[0])
        if name in names:
            found[key] = names[name]
        else:
            missing.append(f"{key} ({counts[key]} answer{'s' if counts[key] != 1 else ''})")
    if missing:
        example = first[next(k for k in sorted(first) if k not in found)]
        raise BadInput(records[0].file, f"no active Annotator user for {', '.join(missing)}; add each with "
                       "`annotator user add`, or say who they are with --annotator SOURCE=USER",
                       field=f"{example.where}.completed_by")
    members = set(session.scalars(select(Membership.user_id).where(Membership.project_id == project_id)))
    by_id = {uid: name for name, uid in names.items()}
    return WhoIsWho(found, sorted({by_id[u] for u in found.values() if u not in members}))


def check(kind, config, record: ItemRecord) -> None:
    for answer in record.answers:
        try:
            kind.validate_answer(config, answer.value)
        except AnnotatorError as exc:
            raise BadInput(record.file, str(exc), field=answer.where) from None


def latest_per_person(record: ItemRecord, who: WhoIsWho) -> list[tuple[int, ImportedAnswer]]:
    """One answer per person and item (an assignment is one per pair): their latest."""
    kept: dict[int, ImportedAnswer] = {}
    for answer in record.answers:
        user = who.users[answer.annotator]
        held = kept.get(user)
        if held is None or (answer.submitted_at or utcnow()) >= (held.submitted_at or utcnow()):
            kept[user] = answer
    return list(kept.items())


def assignment_rows(project_id: int, item_id: int, answers: list[tuple[int, ImportedAnswer]]) -> list[dict]:
    """Submitted assignments, handed in now: review and the project's auto-approval delay run
    from the import, not from when the source's tool recorded them. The claim is as long before
    as the source measured."""
    submitted = utcnow()
    return [{"item_id": item_id, "user_id": user_id, "project_id": project_id, "status": "submitted",
             "claimed_at": submitted - timedelta(seconds=answer.seconds), "lease_until": submitted,
             "submitted_at": submitted, "active_seconds": round(answer.seconds, 3), "answer": answer.value,
             "needs_review": True} for user_id, answer in answers]
