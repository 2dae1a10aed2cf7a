"""The demo database: three projects on data the project made or ships, and three users."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotator import config
from annotator.core.auth import Actor
from annotator.core.importing import import_items
from annotator.core.projects import ProjectSpec, create_project
from annotator.core.users import add_user
from annotator.db.models import Project, User
from annotator.resources import demo_dir

# Well-known passwords: the demo is a local sandbox, and `make demo` must be usable at once.
DEMO_USERS = (("admin", "admin", "admin"), ("lead", "lead", "lead"), ("annotator", "annotator", "annotator"))


def demo_database_url() -> str:
    return config.sqlite_url(config.data_dir() / "demo.sqlite3")


@dataclass
class DemoSummary:
    users: list[tuple[str, str, str]] = field(default_factory=list)
    projects: list[tuple[str, str, int]] = field(default_factory=list)

    def describe(self, url: str) -> str:
        lines = [f"Demo database: {url}", "Users (name / password / role):"]
        lines += [f"  {n} / {p} / {r}" for n, p, r in self.users]
        lines.append("Projects:")
        lines += [f"  {name} ({kind}): {count} items" for name, kind, count in self.projects]
        return "\n".join(lines)


def _projects() -> list[tuple[ProjectSpec, list[tuple[str, bool]]]]:
    d = demo_dir()
    return [
        (
            ProjectSpec(
                name="Demo: objects in photos",
                kind="image_boxes",
                config={"labels": ["person", "helmet", "spacecraft", "flag", "cat", "cup", "saucer", "spoon", "rocket", "tower"]},
                media_root=str(d),
                overlap=2,
                gold_rate=0.25,
                lease_seconds=900,
                review_policy="all",
                training_mode=True,
                instructions="Draw a tight box around every object of a listed kind. Boxes may overlap.",
            ),
            [("images_gold.jsonl", True), ("images.jsonl", False)],
        ),
        (
            ProjectSpec(
                name="Demo: support intents",
                kind="text_categories",
                config={"labels": ["billing", "delivery", "returns", "account", "technical", "praise"]},
                overlap=3,
                gold_rate=0.1,
                lease_seconds=300,
                review_policy="sample",
                review_sample=0.1,
                min_gold_accuracy=0.6,
                instructions="Pick the one intent that best describes what the customer wants.",
            ),
            [("texts_gold.csv", True), ("texts.csv", False)],
        ),
        (
            ProjectSpec(
                name="Demo: call transcripts",
                kind="transcription",
                config={"language": "en"},
                media_root=str(d),
                overlap=1,
                gold_rate=0.3,
                lease_seconds=900,
                review_policy="all",
                instructions="Type exactly what is said. Write numbers as words.",
            ),
            [("audio_gold.jsonl", True), ("audio.jsonl", False)],
        ),
    ]


# Colleagues with some past work on the intents project, so the lead's views have content.
DEMO_CREW = (("demo-ana", 0.95), ("demo-ben", 0.85), ("demo-chen", 0.45))


def _simulate_past_work(session: Session, items: int = 40) -> None:
    """Real claims and submits, back-dated over the last days, with answers right at each
    colleague's accuracy (the CSV's labels are the truth)."""
    import csv
    import random
    from datetime import timedelta

    from annotator.core import queue
    from annotator.db.base import utcnow
    from annotator.errors import QueueError

    truth = {row["id"]: row["label"] for row in csv.DictReader((demo_dir() / "texts.csv").open(encoding="utf-8"))}
    truth.update({row["id"]: row["label"] for row in csv.DictReader((demo_dir() / "texts_gold.csv").open(encoding="utf-8"))})
    labels = sorted(set(truth.values()))
    rng = random.Random(42)
    start = utcnow() - timedelta(days=3)
    for name, accuracy in DEMO_CREW:
        info = add_user(session, Actor.local_operator(), name, name, "annotator")
        actor = Actor(info.id, info.name, info.role)
        when = start + timedelta(minutes=rng.randint(0, 60))
        for _ in range(items):
            try:
                claimed = queue.claim_next(session, actor, "Demo: support intents", now=when)
            except QueueError:
                break
            right = truth.get(claimed.external_id, labels[0])
            label = right if rng.random() < accuracy else rng.choice([l for l in labels if l != right])
            seconds = rng.uniform(6, 30)
            when += timedelta(seconds=seconds + rng.uniform(1, 5))
            queue.submit(session, actor, claimed.assignment_id, {"label": label}, seconds, now=when)
            if rng.random() < 0.05:
                when += timedelta(hours=rng.uniform(2, 20))  # the next working day


def build_demo(session: Session) -> DemoSummary:
    """Create what is missing, keep what is there: running it twice changes nothing."""
    operator = Actor.local_operator()
    summary = DemoSummary()
    for name, password, role in DEMO_USERS:
        if session.scalar(select(User.id).where(User.name == name)) is None:
            add_user(session, operator, name, password, role)
        summary.users.append((name, password, role))
    for spec, sources in _projects():
        if session.scalar(select(Project.id).where(Project.name == spec.name)) is None:
            create_project(session, operator, spec)
        added = 0
        for filename, gold in sources:
            report = import_items(session, operator, spec.name, demo_dir() / filename, gold=gold)
            added += report.read
        summary.projects.append((spec.name, spec.kind, added))
    if session.scalar(select(User.id).where(User.name == DEMO_CREW[0][0])) is None:
        _simulate_past_work(session)
    return summary
