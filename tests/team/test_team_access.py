"""What the server itself allows each person's login on a team database (docs/adr/0009), on a
cluster that checks passwords. Each refusal is the server's: the client is given a chance to
ask for more than its role allows, and is refused anyway."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from annotator.core import queue_direct, review
from annotator.core.auth import Actor, log_in
from annotator.core.importing import import_items
from annotator.core.members import add_member
from annotator.core.projects import ProjectSpec, create_project, update_project
from annotator.core.queue_pg import refusals
from annotator.core.users import add_user, migrate_logins, set_active, set_role
from annotator.db import Database
from annotator.db.logins import with_login
from annotator.db.models import AuditEvent, Project
from annotator.errors import (
    AlreadyExists,
    AuthenticationFailed,
    NotAMember,
    NotFound,
    NotYourAssignment,
    PermissionDenied,
    RefusedByServer,
)
from tests.helpers import open_slots

PASSWORD = "a long passphrase"
ANNOTATOR = str(Path(sys.executable).with_name("annotator"))  # the installed command


@pytest.fixture
def team(team_url, names, tmp_path):
    """Projects p and q, each with two items and a gold one; an admin, a lead of p, and two
    annotators of p, each made by the real services and each with their own login."""
    owner = Database(team_url)
    op = Actor.local_operator()
    people = {role: names(role) for role in ("admin", "lead", "alice", "bob", "carol")}
    with owner.write() as s:
        for key, name in people.items():
            add_user(s, op, name, PASSWORD, key if key in ("admin", "lead") else "annotator")
        for project in ("p", "q"):
            create_project(s, op, ProjectSpec(name=project, kind="text_categories", config={"labels": ["a", "b"]},
                                                review_policy="all"))
            for gold, rows in ((False, [{"id": f"{project}{n}", "text": "t"} for n in range(2)]),
                               (True, [{"id": f"{project}-gold", "text": "g", "answer": {"label": "a"}}])):
                path = tmp_path / f"{project}{gold}.jsonl"
                path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
                import_items(s, op, project, path, gold=gold)
        for key in ("lead", "alice", "bob"):
            add_member(s, op, people[key], "p")
        people["projects"] = dict(s.execute(select(Project.id, Project.name)).all())
    yield people
    owner.dispose()


def login(team_url, name, password=PASSWORD):
    """(Database, Actor) as the app's log-in makes them."""
    return log_in(team_url, name, password)


def raw(team_url, name, password=PASSWORD):
    """A bare psycopg connection as this person, as `psql` would make one."""
    url = make_url(team_url)
    return psycopg.connect(host=url.host, port=url.port, dbname=url.database, user=name, password=password,
                           autocommit=True)


def test_a_wrong_password_is_refused_and_the_right_one_logs_in(team_url, team):
    with pytest.raises(AuthenticationFailed, match="Wrong user name or password"):
        login(team_url, team["alice"], "not it")
    with pytest.raises(AuthenticationFailed, match="Wrong user name or password"):
        login(team_url, "nobody_at_all", "x")
    db, actor = login(team_url, team["alice"])
    assert (actor.name, actor.role) == (team["alice"], "annotator")
    assert db.engine.url.username == team["alice"]  # the connection is hers, not the owner's
    db.dispose()


def test_an_annotators_login_cannot_read_gold_nor_anyone_elses_work(team_url, team):
    bob_db, bob = login(team_url, team["bob"])
    queue_direct.claim(bob_db, bob, "p")
    bob_db.dispose()
    with raw(team_url, team["alice"]) as conn:
        for denied in ("SELECT * FROM gold_answers", "SELECT is_gold FROM items", "SELECT gold_score FROM assignments",
                       "SELECT gold_countdown FROM memberships", "SELECT * FROM audit_events",
                       "SELECT role FROM users"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(denied)
        assert conn.execute("SELECT count(*) FROM assignments").fetchone()[0] == 0  # bob's claim is not hers
        assert conn.execute("SELECT count(id) FROM items").fetchone()[0] == 0  # nor its item
        assert sorted(r[0] for r in conn.execute("SELECT name FROM projects")) == ["p"]  # not q
        assert {r[0] for r in conn.execute("SELECT name FROM users")} >= {team["bob"], team["lead"]}  # names only


def test_an_annotators_login_changes_nothing_directly(team_url, team):
    bob_db, bob = login(team_url, team["bob"])
    bobs = queue_direct.claim(bob_db, bob, "p")
    bob_db.dispose()
    alice_db, alice = login(team_url, team["alice"])
    mine = queue_direct.claim(alice_db, alice, "p")
    with raw(team_url, team["alice"]) as conn:
        for denied in (f"UPDATE assignments SET status = 'approved' WHERE id = {mine.assignment_id}",
                       "UPDATE items SET open_slots = 9",
                       "INSERT INTO audit_events (at, actor, action, entity_type) VALUES (now(), 'x', 'forged', 'x')",
                       "UPDATE audit_events SET action = 'forged'", "DELETE FROM audit_events",
                       "INSERT INTO reviews (assignment_id, decision, comment, created_at) VALUES (1, 'approve', '', now())"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(denied)
        for helper in ("SELECT queue_audit(NULL, 'forged', 'x', 'x', '{}', now())",
                       "SELECT annotator_put_login('intruder', NULL, 'admin', NULL, true)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # the functions' helpers are not theirs
                conn.execute(helper)
    with pytest.raises(NotYourAssignment):  # submitting bob's work, through the queue's own function
        queue_direct.submit(alice_db, alice, bobs.assignment_id, {"label": "a"}, 1.0)
    assert queue_direct.submit(alice_db, alice, mine.assignment_id, {"label": "a"}, 1.0).accepted
    alice_db.dispose()


def test_an_annotator_cannot_approve_even_when_the_client_is_told_they_may(team_url, team):
    db, alice = login(team_url, team["alice"])
    claimed = queue_direct.claim(db, alice, "p")
    assert queue_direct.submit(db, alice, claimed.assignment_id, {"label": "a"}, 1.0).accepted
    with db.write() as s, pytest.raises(PermissionDenied, match="lead"):  # the client's check, for the message
        review.approve(s, alice, claimed.assignment_id)
    forged = Actor(alice.id, alice.name, "admin")  # a client whose check was removed
    with pytest.raises(RefusedByServer, match="permission denied for table assignments"):
        with refusals(), db.write() as s:
            review.approve(s, forged, claimed.assignment_id)
    db.dispose()


def test_the_cli_as_an_annotator_fails_review_approve_in_one_line(team_url, team):
    db, alice = login(team_url, team["alice"])
    claimed = queue_direct.claim(db, alice, "p")
    queue_direct.submit(db, alice, claimed.assignment_id, {"label": "a"}, 1.0)
    db.dispose()
    url = with_login(team_url, team["alice"], None)  # a desktop's saved URL: no password in it
    env = {**os.environ, "PGPASSWORD": PASSWORD}
    done = subprocess.run([ANNOTATOR, "--db", url, "review", "approve",
                           str(claimed.assignment_id)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "may not approve" in lines[0] and "lead role" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_a_lead_reviews_their_own_project_and_not_another(team_url, team):
    owner = Database(team_url)
    for project in ("p", "q"):
        with owner.write() as s:
            add_member(s, Actor.local_operator(), team["carol"], project)
    carol_db, carol = login(team_url, team["carol"])
    in_p = queue_direct.claim(carol_db, carol, "p")
    in_q = queue_direct.claim(carol_db, carol, "q")
    for c in (in_p, in_q):
        queue_direct.submit(carol_db, carol, c.assignment_id, {"label": "b"}, 1.0)
    carol_db.dispose()
    lead_db, lead = login(team_url, team["lead"])
    with lead_db.write() as s:
        review.approve(s, lead, in_p.assignment_id)
    with pytest.raises(Exception, match="no assignment|There is no|permission denied"), lead_db.write() as s:
        review.approve(s, lead, in_q.assignment_id)  # q is not theirs: the server shows them no such row
    with lead_db.read() as s:
        seen = {r.project for r in review.review_queue(s, lead, statuses=("submitted", "approved")).rows}
        assert seen == {"p"}  # q's work is not in their queue at all
        gold = s.execute(text("SELECT count(*) FROM gold_answers")).scalar()
    assert gold == 1  # p's gold answer, not q's
    lead_db.dispose()
    owner.dispose()


def test_a_lead_raises_the_overlap_of_their_own_project_and_its_items_open_up(team_url, team):
    lead_db, lead = login(team_url, team["lead"])
    with lead_db.write() as s:
        update_project(s, lead, "p", overlap=2)
    with pytest.raises(NotFound), lead_db.write() as s:
        update_project(s, lead, "q", overlap=2)  # not theirs: the server shows them no such project
    lead_db.dispose()
    owner = Database(team_url)
    slots = open_slots(owner)
    owner.dispose()
    assert slots == {"p0": 2, "p1": 2, "p-gold": 0, "q0": 1, "q1": 1, "q-gold": 0}


def test_an_admin_adds_a_user_who_can_then_log_in(team_url, team, names):
    admin_db, admin = login(team_url, team["admin"])
    newcomer = names("dana")
    with admin_db.write() as s:
        add_user(s, admin, newcomer, "dana's own secret", "annotator")
        add_member(s, admin, newcomer, "p")
    admin_db.dispose()
    db, dana = login(team_url, newcomer, "dana's own secret")
    assert queue_direct.claim(db, dana, "p").project_name == "p"
    db.dispose()
    lead_db, lead = login(team_url, team["lead"])
    with lead_db.write() as s, pytest.raises(Exception, match="admin"):  # a lead may not make logins
        s.execute(text("SELECT user_add('mallory', NULL, 'admin')"))
    lead_db.dispose()


def test_a_role_change_moves_the_login_to_its_new_group_and_the_server_has_nothing_to_warn_of(team_url, team, names):
    """`user add` and `set-role` grant and revoke only the group memberships that change: the
    login ends in its new role's group alone, and the server says nothing (it used to warn, and
    log, twice each time: once for each group the login had never been in)."""
    admin_db, admin = login(team_url, team["admin"])
    newcomer = names("erin")
    heard = []
    with admin_db.write() as s:
        s.connection().connection.driver_connection.add_notice_handler(
            lambda notice: heard.append(f"{notice.severity}: {notice.message_primary}"))
        add_user(s, admin, newcomer, PASSWORD, "annotator")
        set_role(s, admin, newcomer, "lead")
    admin_db.dispose()
    assert heard == []
    with raw(team_url, newcomer) as conn:
        groups = conn.execute("SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                              " JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = session_user").fetchall()
    assert groups == [("annotator_leads",)]


def test_audit_events_name_the_login_that_wrote_them(team_url, team):
    lead_db, lead = login(team_url, team["lead"])
    with lead_db.write() as s:
        p = s.scalar(select(Project.id).where(Project.name == "p"))
        s.add(AuditEvent(actor="someone else", action="test.note", entity_type="project", entity_id=str(p), details={}))
    with lead_db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "test.note")).one()
    assert event.actor == team["lead"] and event.details["on_behalf_of"] == "someone else"
    lead_db.dispose()


def test_a_lead_reads_the_audit_trail_of_their_projects_only(team_url, team):
    for who, project in (("alice", "p"), ("carol", "q")):  # work in both projects, by the server's functions
        owner = Database(team_url)
        with owner.write() as s:
            add_member(s, Actor.local_operator(), team[who], project)
        owner.dispose()
        db, person = login(team_url, team[who])
        claimed = queue_direct.claim(db, person, project)
        queue_direct.submit(db, person, claimed.assignment_id, {"label": "a"}, 1.0)
        db.dispose()

    def trail(name):
        db, _ = login(team_url, name)
        with db.read() as s:
            rows = s.execute(select(AuditEvent.action, Project.name).outerjoin(Project, Project.id == AuditEvent.project_id)).all()
        db.dispose()
        return rows

    led = trail(team["lead"])
    assert {"assignment.claim", "assignment.submit", "membership.add"} <= {action for action, _ in led}
    assert {project for _, project in led} == {"p"}  # not q's work, and no event about users
    everything = trail(team["admin"])
    assert {project for _, project in everything} == {"p", "q", None} and len(everything) > len(led)
    q = next(project_id for project_id, name in team["projects"].items() if name == "q")
    p = next(project_id for project_id, name in team["projects"].items() if name == "p")
    with raw(team_url, team["lead"]) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("INSERT INTO audit_events (at, actor, action, entity_type, entity_id, details)"
                     " VALUES (now(), 'x', 'forged', 'project', %s, '{}')", (str(q),))
    with raw(team_url, team["lead"]) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        # an event about q that claims to be about p: the server works out its project itself
        conn.execute("INSERT INTO audit_events (at, actor, action, entity_type, entity_id, details, project_id)"
                     " VALUES (now(), 'x', 'forged', 'project', %s, '{}', %s)", (str(q), p))
    with raw(team_url, team["alice"]) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT count(*) FROM audit_events")  # an annotator reads none of it


def test_each_bad_log_in_gets_one_line_saying_what_to_do(team_url, team, names, scram_server):
    owner = Database(team_url)
    stranger, shared = names("stranger"), names("app_shared")
    with owner.engine.begin() as c:  # a role of the server's own, and the shared login of before the upgrade
        for role in (stranger, shared):
            c.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
            c.exec_driver_sql(f"GRANT annotator_annotators TO {role}")
    for role in (stranger, shared):
        with pytest.raises(AuthenticationFailed, match="no Annotator user of this database.*own name and password"):
            login(team_url, role)
    with owner.write() as s:
        set_active(s, Actor.local_operator(), team["bob"], False)
    with pytest.raises(AuthenticationFailed, match="deactivated"):
        login(team_url, team["bob"])
    db, carol = login(team_url, team["carol"])  # no member of p
    with pytest.raises(NotAMember, match="not a member of p; ask one of its leads"):
        queue_direct.claim(db, carol, "p")
    db.dispose()
    with owner.write() as s:  # an expired password (a temporary one, not changed in time)
        s.execute(text("SELECT user_make_login(:n, NULL, now() - interval '1 day')"), {"n": team["alice"]})
        s.execute(text(f"ALTER ROLE {team['alice']} VALID UNTIL 'yesterday'"))
    with pytest.raises(AuthenticationFailed, match="has expired"):
        login(team_url, team["alice"])
    owner.dispose()


def test_existing_users_get_logins_with_temporary_passwords(team_url, team, names):
    owner = Database(team_url)
    old_timer = names("old_timer")
    with owner.write() as s:  # a user from before logins were per person: a row, no role
        s.execute(text("INSERT INTO users (name, password_hash, role, active, created_at)"
                       " VALUES (:n, '$argon2id$old', 'annotator', true, now())"), {"n": old_timer})
    with owner.write() as s:
        made = migrate_logins(s, Actor.local_operator())
    assert [m.name for m in made] == [old_timer]
    db, actor = login(team_url, old_timer, made[0].temporary_password)
    assert actor.name == old_timer
    db.dispose()
    with owner.write() as s:
        assert migrate_logins(s, Actor.local_operator()) == []  # once
    owner.dispose()


def test_gold_is_scored_by_a_leads_login_not_the_submitters(team_url, team):
    """The server keeps a gold answer unscored (the submitter may not read gold); `annotator gold
    watch`, on a lead's login, scores what came in and what comes in next."""
    owner = Database(team_url)
    with owner.engine.begin() as c:
        c.execute(text("UPDATE projects SET gold_rate = 1.0 WHERE name = 'p'"))
    db, alice = login(team_url, team["alice"])
    gold = queue_direct.claim(db, alice, "p")  # gold is due at once at a rate of 1
    assert gold.external_id == "p-gold"
    assert queue_direct.submit(db, alice, gold.assignment_id, {"label": "b"}, 2.0).accepted
    db.dispose()
    with owner.read() as s:
        assert s.execute(text("SELECT gold_score FROM assignments WHERE id = :i"), {"i": gold.assignment_id}).scalar() is None
    url = with_login(team_url, team["lead"], None)
    done = subprocess.run([ANNOTATOR, "--db", url, "gold", "watch", "--until-idle"],
                          capture_output=True, text=True, env={**os.environ, "PGPASSWORD": PASSWORD}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Scored 1 gold answer" in done.stdout
    with owner.read() as s:
        assert s.execute(text("SELECT gold_score FROM assignments WHERE id = :i"), {"i": gold.assignment_id}).scalar() == 0.0
    owner.dispose()


def test_a_server_role_of_someone_elses_is_never_taken_over_by_user_add(team_url, team, names):
    owner = Database(team_url)
    theirs = names("dba_tool")
    with owner.engine.begin() as c:  # a role the server's administrator made, for something else
        c.exec_driver_sql(f"CREATE ROLE {theirs} LOGIN PASSWORD 'its own'")
    with owner.write() as s, pytest.raises(AlreadyExists, match="exists already and is not an Annotator login"):
        add_user(s, Actor.local_operator(), theirs, PASSWORD, "admin")
    with raw(team_url, theirs, "its own") as conn:  # its password is as it was
        assert conn.execute("SELECT session_user").fetchone()[0] == theirs
    owner.dispose()
