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
    return summary
