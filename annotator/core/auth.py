"""Who is acting, and may they: password hashing (argon2), log-in, and role checks."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from annotator.errors import AuthenticationFailed, PermissionDenied, SchemaOutOfDate
from annotator.roles import ROLES

if TYPE_CHECKING:  # the app's start-up imports this module; SQLAlchemy loads on the worker
    from sqlalchemy.orm import Session

    from annotator.db.models import User

# argon2id with the library's defaults (RFC 9106's low-memory profile). The test suite swaps in
# argon2's cheapest profile: the hashes are argon2 all the same, and a login checks each with the
# parameters written in it.
PASSWORD_HASHER = PasswordHasher()
_RANK = {role: i for i, role in enumerate(ROLES)}  # annotator < lead < admin


@dataclass(frozen=True)
class Actor:
    """The user on whose behalf a service runs. `id` is None for the local operator: the CLI on a
    SQLite file, which whoever can open already owns, or the owner of a team database. On
    PostgreSQL everyone else acts as their own login (docs/adr/0009), and the server enforces
    what the role allows; the checks here give the message first."""

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
    return PASSWORD_HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(password_hash, password)
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
    if PASSWORD_HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return Actor.of(user)


def server_actor(session: Session, *, owner_may_operate: bool = False) -> Actor:
    """The user a team database (PostgreSQL) knows this connection as. With `owner_may_operate`,
    a connection that is the database's owner or a superuser, and no Annotator user, acts as
    the local operator: how `annotator db upgrade` and the first `annotator user add` run."""
    from sqlalchemy import text

    from annotator.db.logins import not_a_user, whoami

    me = whoami(session.connection())
    if me is None:
        role, owner = session.execute(text(
            "SELECT session_user, (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)"
            " OR pg_has_role(session_user, (SELECT tableowner FROM pg_tables WHERE tablename = 'users'"
            " AND schemaname = current_schema()), 'USAGE')")).one()
        if owner_may_operate and owner:
            return Actor(None, f"owner:{role}", "admin")
        raise not_a_user(role)
    if not me.active:
        raise AuthenticationFailed(f"The account {me.name!r} is deactivated; ask an admin to reactivate it.")
    return Actor(me.id, me.name, me.role)


def log_in(url: str, name: str, password: str):
    """Open the database as this person: (Database, Actor). On PostgreSQL the name and password
    are the connection's own, checked by the server; on SQLite, against the users table."""
    from annotator.db import open_database
    from annotator.db.logins import is_team_url, with_login

    if not is_team_url(url):
        db = open_database(url)
        try:
            with db.write() as session:
                return db, login(session, name, password)
        except BaseException:
            db.dispose()
            raise
    return open_team_database(with_login(url, name, password), name)


def open_team_database(url: str, name: str, *, owner_may_operate: bool = False):
    """Connect to a team database as the login in `url` (named `name`, for messages) and ask the
    server who that is: (Database, Actor), or one clear error for each way it can fail."""
    from sqlalchemy.exc import DBAPIError

    from annotator.db import Database, migrate
    from annotator.db.logins import login_error

    db = Database(url)
    try:
        with db.read() as session:  # who the server says this is, before anything else is asked
            actor = server_actor(session, owner_may_operate=owner_may_operate)
        if not migrate.is_current(db.engine):
            raise SchemaOutOfDate(f"The database {db.describe()} has an older schema than this app; "
                                  "ask an admin to run `annotator db upgrade`.")
        return db, actor
    except DBAPIError as exc:
        db.dispose()
        refused = login_error(exc, name)
        if refused is not None:
            raise refused from None
        code = getattr(exc.orig, "sqlstate", None)
        if code not in ("42883", "42501", "3F000"):
            raise
        # No annotator_whoami() to be seen: either the login has no rights on the schema at all
        # (no Annotator login: a desktop still on the shared URL, say), or the schema is from
        # before logins were per person. The catalogue, which anyone may read, tells which.
        from sqlalchemy import text

        from annotator.db.logins import not_a_user

        with db.engine.connect() as conn:
            upgraded = conn.execute(text("SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'annotator_whoami')")).scalar()
        db.dispose()
        if upgraded:
            raise not_a_user(name) from None
        raise SchemaOutOfDate(f"The database {db.describe()} has an older schema than this app; "
                              "ask an admin to run `annotator db upgrade`.") from None
    except BaseException:
        db.dispose()
        raise
