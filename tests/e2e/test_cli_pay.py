"""`annotator pay …` as a lead runs it: real processes on a real database file."""

import csv
import json

from tests.e2e.test_cli import run


def test_set_pay_work_a_bonus_a_statement_and_the_payroll_csv(tmp_path):
    db = tmp_path / "team.sqlite3"
    run("db", "upgrade", db=db)
    run("project", "create", "tweets", "--kind", "text_categories", "--labels", "a,b", db=db)
    items = tmp_path / "items.jsonl"
    items.write_text("".join(json.dumps({"id": f"t{i}", "text": f"tweet {i}"}) + "\n" for i in range(3)))
    run("import", "tweets", str(items), db=db)
    bad = run("pay", "set", "tweets", "--currency", "dollars", "--reward", "0.05", db=db, ok=False)
    assert bad.returncode == 1 and "'dollars' is not a currency" in bad.stderr
    out = run("pay", "set", "tweets", "--currency", "usd", "--reward", "0.05", "--estimate", "30", "--floor", "12",
              db=db).stdout
    assert "tweets: $0.05 per approved item, about 30 s an item, never below $12.00 an hour." in out
    run("user", "add", "ann", "--password-stdin", stdin="correct-horse-battery\n", db=db)
    stranger = run("pay", "bonus", "ann", "tweets", "1.00", "--reason", "welcome", db=db, ok=False)
    assert stranger.returncode == 1 and "ann is not a member of tweets" in stranger.stderr
    run("member", "add", "ann", "tweets", db=db)
    paid = run("pay", "bonus", "ann", "tweets", "1.00", "--reason", "welcome aboard", db=db).stdout
    assert "Paid ann a bonus of $1.00 on tweets." in paid
    nothing = run("pay", "statement", "ann", db=db).stdout  # no work yet: no project to state
    assert "ann has worked on no project that pays." in nothing
    statement = run("pay", "statement", "ann", "--project", "tweets", db=db).stdout
    assert "Bonuses:  $1.00" in statement and "$1.00: welcome aboard" in statement and "Total:    $1.00" in statement
    payroll = tmp_path / "payroll.csv"
    report = run("pay", "report", "tweets", "--csv", str(payroll), db=db).stdout
    assert "Total $1.00 to 1 person(s)." in report
    rows = list(csv.DictReader(payroll.open(encoding="utf-8")))
    assert [(r["person"], r["currency"], r["bonuses"], r["total"]) for r in rows] == [("ann", "USD", "1.00", "1.00")]
    future = run("pay", "report", "tweets", "--period", "2099-W01", db=db, ok=False)
    assert future.returncode == 1 and "has not begun yet" in future.stderr
