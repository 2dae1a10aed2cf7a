"""Who is acting, and may they: password hashing (argon2), log-in, and role checks."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from annotator.errors import AuthenticationFailed, PermissionDenied
from annotator.roles import ROLES

if TYPE_CHECKING:  # the app's start-up imports this module; SQLAlchemy loads on the worker
    from sqlalchemy.orm import Session

    from annotator.db.models import User

_hasher = PasswordHasher()
_RANK = {role: i for i, role in enumerate(ROLES)}  # annotator < lead < admin


@dataclass(frozen=True)
class Actor:
    """The user on whose behalf a service runs. `id` is None for the local operator (the CLI),
    who holds admin rights because whoever can reach the database file or server already has them."""

    id: int | None
    name: str
    role: str

    @classmethod
    def local_operator(cls) -> "Actor":
        return cls(None, f"cli:{_os_user()}", "admin")

    @classmethod
    def of(cls, user: User) -> "Actor":
        return cls(user.id, user.name, user.role)

    def has(self, role: str) -> bool:
        return _RANK[self.role] >= _RANK[role]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def require(actor: Actor, role: str, action: str) -> None:
    if not actor.has(role):
        raise PermissionDenied(actor.name, action, role)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def login(session: Session, name: str, password: str) -> Actor:
    from sqlalchemy import select

    from annotator.db.models import User

    user = session.scalar(select(User).where(User.name == name))
    # The same message for an unknown name and a wrong password: names are not to be probed.
    if user is None or not verify_password(user.password_hash, password):
        raise AuthenticationFailed("Wrong user name or password.")
    if not user.active:
        raise AuthenticationFailed(f"The account {name!r} is deactivated; ask a lead to reactivate it.")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return Actor.of(user)
