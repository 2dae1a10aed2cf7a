"""User accounts: add, list, change role, deactivate, reset password. Admin only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
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


def add_user(session: Session, actor: Actor, name: str, password: str, role: str = "annotator") -> UserInfo:
    require(actor, "admin", "add users")
    _check_role(role)
    _check_password(password)
    name = name.strip()
    if not name:
        raise AnnotatorError("A user needs a name.")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise AlreadyExists(f"A user named {name!r} already exists.")
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
    old, user.role = user.role, role
    audit.record(session, actor, "user.set_role", "user", user.id, name=name, old=old, new=role)
    return _info(user)


def set_active(session: Session, actor: Actor, name: str, active: bool) -> UserInfo:
    require(actor, "admin", "deactivate users" if not active else "reactivate users")
    user = get_user(session, name)
    user.active = active
    audit.record(session, actor, "user.activate" if active else "user.deactivate", "user", user.id, name=name)
    return _info(user)


def set_password(session: Session, actor: Actor, name: str, password: str) -> None:
    user = get_user(session, name)
    if actor.id != user.id:
        require(actor, "admin", "reset other users' passwords")
    _check_password(password)
    user.password_hash = hash_password(password)
    audit.record(session, actor, "user.set_password", "user", user.id, name=name)
