"""Per-person logins on a team database (PostgreSQL; docs/adr/0009): a user's own name and
password go into the connection, and the server says who they are. SQLite has no logins: a
local file is its own boundary."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import make_url

from annotator.errors import AuthenticationFailed


@dataclass(frozen=True)
class ServerUser:
    """The Annotator user the server knows the connection as (annotator_whoami)."""

    id: int
    name: str
    role: str
    active: bool


def is_team_url(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def with_login(url: str, name: str, password: str | None) -> str:
    """The database URL with this person's name and password in place of any it held (no
    password: then libpq's PGPASSWORD or ~/.pgpass may give one)."""
    from sqlalchemy.engine import URL

    u = make_url(url)
    return URL.create(u.drivername, username=name, password=password, host=u.host, port=u.port, database=u.database,
                      query=u.query).render_as_string(hide_password=False)


def login_error(exc: BaseException, name: str) -> AuthenticationFailed | None:
    """The one-line message for a connection the server refused at log-in, or None if it was not that."""
    text = str(getattr(exc, "orig", exc) or exc)
    if "password authentication failed" in text or "no password supplied" in text:
        # The server answers an expired password the same way as a wrong one, on purpose.
        return AuthenticationFailed("Wrong user name or password, or the password has expired; "
                                    "an admin can set a new one (`annotator user passwd`).")
    if "is not permitted to log in" in text:
        return AuthenticationFailed(f"The account {name!r} is deactivated; ask an admin to reactivate it.")
    if f'role "{name}" does not exist' in text:
        return AuthenticationFailed("Wrong user name or password, or the password has expired; "
                                    "an admin can set a new one (`annotator user passwd`).")
    return None


def whoami(connection) -> ServerUser | None:
    """Who the server says this SQLAlchemy connection is, or None for a role that is no Annotator user."""
    from sqlalchemy import text

    row = connection.execute(text("SELECT id, name, role, active FROM annotator_whoami()")).first()
    return None if row is None else ServerUser(*row)


def not_a_user(role: str) -> AuthenticationFailed:
    """For a role that can connect but is no Annotator user: most often a desktop still on the
    shared URL of before the upgrade to per-person logins."""
    return AuthenticationFailed(
        f"The PostgreSQL role {role!r} is no Annotator user of this database. Since its upgrade, each person "
        "logs in with their own name and password; ask your admin for yours (`annotator user add`, or "
        "`annotator user migrate-logins` for existing users).")


def scram_verifier(dbapi_connection, name: str, password: str) -> str:
    """The password as the server keeps it, made here, so that it never crosses the wire as text."""
    pgconn = dbapi_connection.pgconn
    return pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode()
