"""User accounts: add, list, change role, deactivate, reset password. Admin only.

On PostgreSQL each user is a login role of the same name (docs/adr/0009), made and changed by the
server's user functions, which check the caller themselves; the server keeps the password.
On SQLite the password's argon2 hash is kept in the users table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import secrets
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, hash_password, require
from annotator.db.models import User
from annotator.roles import ROLES
from annotator.errors import AlreadyExists, AnnotatorError, NotFound

MIN_PASSWORD_LENGTH = 4


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    role: str
    active: bool
    created_at: datetime


def _info(user: User) -> UserInfo:
    return UserInfo(user.id, user.name, user.role, user.active, user.created_at)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AnnotatorError(f"Unknown role {role!r}; the roles are {', '.join(ROLES)}.")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AnnotatorError(f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters.")


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"There is no user named {name!r}.")
    return user


def _server(session: Session, sql: str, **params):
    """Call one of the server's user functions (docs/adr/0009); its refusal becomes the app's error."""
    from annotator.core.queue_pg import refusals

    with refusals():
        return session.execute(text(sql), params)


def _on_server(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _verifier(session: Session, name: str, password: str) -> str:
    from annotator.db.logins import scram_verifier

    return scram_verifier(session.connection().connection.dbapi_connection, name, password)


def add_user(session: Session, actor: Actor, name: str, password: str, role: str = "annotator") -> UserInfo:
    require(actor, "admin", "add users")
    _check_role(role)
    _check_password(password)
    name = name.strip()
    if not name:
        raise AnnotatorError("A user needs a name.")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise AlreadyExists(f"A user named {name!r} already exists.")
    if _on_server(session):
        user_id = _server(session, "SELECT user_add(:n, :v, :r)", n=name, v=_verifier(session, name, password),
                          r=role).scalar()
        return _info(session.get(User, user_id))
    user = User(name=name, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.add", "user", user.id, name=name, role=role)
    return _info(user)


def list_users(session: Session, actor: Actor) -> list[UserInfo]:
    require(actor, "lead", "list users")
    return [_info(u) for u in session.scalars(select(User).order_by(User.name))]


def set_role(session: Session, actor: Actor, name: str, role: str) -> UserInfo:
    require(actor, "admin", "change roles")
    _check_role(role)
    user = get_user(session, name)
    if _on_server(session):
        _server(session, "SELECT user_set_role(:n, :r)", n=name, r=role)
        session.refresh(user)
        return _info(user)
    old, user.role = user.role, role
    audit.record(session, actor, "user.set_role", "user", user.id, name=name, old=old, new=role)
    return _info(user)


def set_active(session: Session, actor: Actor, name: str, active: bool) -> UserInfo:
    require(actor, "admin", "deactivate users" if not active else "reactivate users")
    user = get_user(session, name)
    if _on_server(session):
        _server(session, "SELECT user_set_active(:n, :a)", n=name, a=active)
        session.refresh(user)
        return _info(user)
    user.active = active
    audit.record(session, actor, "user.activate" if active else "user.deactivate", "user", user.id, name=name)
    return _info(user)


def set_password(session: Session, actor: Actor, name: str, password: str) -> None:
    user = get_user(session, name)
    if actor.id != user.id:
        require(actor, "admin", "reset other users' passwords")
    _check_password(password)
    if _on_server(session):
        _server(session, "SELECT user_set_password(:n, :v)", n=name, v=_verifier(session, name, password))
        return
    user.password_hash = hash_password(password)
    audit.record(session, actor, "user.set_password", "user", user.id, name=name)


@dataclass(frozen=True)
class NewLogin:
    name: str
    temporary_password: str


def migrate_logins(session: Session, actor: Actor, *, valid_days: int = 7) -> list[NewLogin]:
    """A login role for each user of a team database made before logins were per person, with a
    temporary password that expires after `valid_days`; the admin hands them out, and each
    person sets their own (`annotator user passwd`). Users who have a login already are left be."""
    require(actor, "admin", "make logins")
    if not _on_server(session):
        raise AnnotatorError("Only a PostgreSQL team database has logins per person; a SQLite file keeps its users.")
    from datetime import timedelta

    from annotator.db.base import utcnow

    have = set(session.scalars(text(
        "SELECT r.rolname FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid JOIN pg_roles g "
        "ON g.oid = m.roleid WHERE g.rolname IN ('annotator_annotators', 'annotator_leads', 'annotator_admins')")))
    made = []
    until = utcnow() + timedelta(days=valid_days)
    for user in session.scalars(select(User).order_by(User.name)):
        if user.name in have:
            continue
        password = secrets.token_urlsafe(12)
        _server(session, "SELECT user_make_login(:n, :v, :u)", n=user.name, v=_verifier(session, user.name, password),
                u=until)
        made.append(NewLogin(user.name, password))
    return made
