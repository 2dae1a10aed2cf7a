"""`annotator user …`: people. On a team database each is a PostgreSQL login of their own
(docs/adr/0009), made and changed by the server's user functions. Assembled into the command by annotator.cli."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from annotator.cli.common import acting_user, console, reading, writing

user_app = typer.Typer(help="User accounts (annotator, lead, admin).", no_args_is_help=True)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: str,
    role: str = typer.Option("annotator", "--role", help="annotator, lead or admin"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Add a user. Asks for the password unless --password-stdin."""
    from annotator.core import users

    password = _read_password(password_stdin)
    with writing(ctx) as s:
        info = users.add_user(s, acting_user(ctx), name, password, role)
    console.print(f"Added {info.name} ({info.role}).")


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """List the users."""
    from annotator.core import users

    with reading(ctx) as s:
        rows = users.list_users(s, acting_user(ctx))
    table = Table("name", "role", "active", "created")
    for u in rows:
        table.add_row(u.name, u.role, "yes" if u.active else "no", f"{u.created_at:%Y-%m-%d}")
    console.print(table)


@user_app.command("set-role")
def user_set_role(ctx: typer.Context, name: str, role: str) -> None:
    """Change a user's role."""
    from annotator.core import users

    with writing(ctx) as s:
        info = users.set_role(s, acting_user(ctx), name, role)
    console.print(f"{info.name} is now {info.role}.")


@user_app.command("deactivate")
def user_deactivate(ctx: typer.Context, name: str) -> None:
    """Stop a user from logging in. Their work is kept."""
    from annotator.core import users

    with writing(ctx) as s:
        users.set_active(s, acting_user(ctx), name, False)
    console.print(f"{name} is deactivated.")


@user_app.command("activate")
def user_activate(ctx: typer.Context, name: str) -> None:
    """Let a deactivated user log in again."""
    from annotator.core import users

    with writing(ctx) as s:
        users.set_active(s, acting_user(ctx), name, True)
    console.print(f"{name} is active.")


@user_app.command("passwd")
def user_passwd(
    ctx: typer.Context,
    name: str, password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input.")
) -> None:
    """Set a user's password."""
    from annotator.core import users

    password = _read_password(password_stdin)
    with writing(ctx) as s:
        users.set_password(s, acting_user(ctx), name, password)
    console.print(f"Password of {name} changed.")


@user_app.command("migrate-logins")
def user_migrate_logins(
    ctx: typer.Context,
    valid_days: int = typer.Option(7, "--valid-days", help="Days until each temporary password expires."),
) -> None:
    """Team database: make a PostgreSQL login for each user who has none yet (users made before
    logins were per person), and print a temporary password for each to hand out. Each person
    then sets their own with `annotator user passwd`."""
    from annotator.core import users

    with writing(ctx) as s:
        made = users.migrate_logins(s, acting_user(ctx), valid_days=valid_days)
    if not made:
        console.print("Every user has a login already.")
        return
    table = Table("user", f"temporary password (expires in {valid_days} days)")
    for login in made:
        table.add_row(login.name, login.temporary_password)
    console.print(table)
