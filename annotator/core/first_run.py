"""The first start on a database no one has an account on: a local file's owner makes the first
admin account, or opens the demo instead. Without this the log-in would be a door no one can
pass, and only the command line could make the first user."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotator.core.auth import Actor
from annotator.core.demo import DemoSummary, build_demo, demo_database_url
from annotator.core.users import UserInfo, add_user
from annotator.db.models import User
from annotator.errors import AnnotatorError


def has_accounts(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(User)))


def create_first_admin(session: Session, name: str, password: str) -> UserInfo:
    """The first account, an admin, made by whoever opened the file (it is theirs: ADR 2)."""
    if session.get_bind().dialect.name != "sqlite":
        raise AnnotatorError("A team database's first admin is made by its owner: `annotator user add NAME --role admin`")
    if has_accounts(session):
        raise AnnotatorError("This database has accounts already; an admin adds yours.")
    return add_user(session, Actor.local_operator(), name, password, "admin")


def open_demo() -> tuple[str, DemoSummary]:
    """The demo database, made (or brought up to date) in this desktop's data folder."""
    from annotator.db import open_database

    url = demo_database_url()
    db = open_database(url, upgrade=True)
    try:
        with db.write() as session:
            return url, build_demo(session)
    finally:
        db.dispose()
