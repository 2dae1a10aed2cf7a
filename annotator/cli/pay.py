"""`annotator pay …`: a project's pay terms, bonuses, the lead's report (and its payroll CSV) and a
person's statement. Assembled into the command by annotator.cli."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from annotator.cli.common import acting_user, console, reading, writing

pay_app = typer.Typer(help="Pay: rewards, bonuses, the floor's top-up, statements and reports.", no_args_is_help=True)


@pay_app.command("set")
def pay_set(
    ctx: typer.Context,
    project: str,
    currency: str = typer.Option(..., "--currency", help="An ISO 4217 code: USD, EUR, GBP, INR…"),
    reward: str = typer.Option("0", "--reward", help="Paid per approved item, as 0.05"),
    hourly: Optional[str] = typer.Option(None, "--hourly", help="Pay by the active hour instead, at this rate"),
    estimate: Optional[int] = typer.Option(None, "--estimate", help="Estimated seconds per item, shown to annotators"),
    floor: Optional[str] = typer.Option(None, "--floor", help="The minimum hourly rate; a shortfall is topped up"),
    bonus: Optional[str] = typer.Option(None, "--bonus", help="A bonus per approved item when --bonus-gold is met"),
    bonus_gold: Optional[float] = typer.Option(None, "--bonus-gold", help="The period's gold accuracy, 0 to 1, "
                                                                            "that earns --bonus"),
    period: str = typer.Option("weekly", "--period", help="weekly or monthly"),
) -> None:
    """Set what a project pays from now on; earnings already made keep their terms."""
    from annotator.core.pay import set_pay

    with writing(ctx) as s:
        terms = set_pay(s, acting_user(ctx), project, currency=currency, reward=reward, hourly=hourly,
                        estimate_seconds=estimate, floor=floor, bonus=bonus, bonus_min_gold=bonus_gold, period=period)
    from annotator.core.pay_text import terms_line

    console.print(f"{project}: {terms_line(terms)}.")


@pay_app.command("bonus")
def pay_bonus_cmd(
    ctx: typer.Context,
    user: str,
    project: str,
    amount: str,
    reason: str = typer.Option(..., "--reason", help="Why: the person reads it on their statement"),
    period: Optional[str] = typer.Option(None, "--period", help="The period it is paid in (default: this one)"),
) -> None:
    """Pay a member of a project a bonus, with a reason. Audited."""
    from annotator.core.money import shown, to_decimal, to_micros
    from annotator.core.pay import pay_bonus, pay_terms
    from annotator.core.projects import get_project

    with writing(ctx) as s:
        pay_bonus(s, acting_user(ctx), user, project, amount, reason, period=period)
        currency = pay_terms(s, get_project(s, project).id).currency
    console.print(f"Paid {user} a bonus of {shown(to_decimal(to_micros(amount, 'the bonus')), currency)} on {project}.")


@pay_app.command("report")
def pay_report_cmd(
    ctx: typer.Context,
    project: str,
    period: Optional[str] = typer.Option(None, "--period", help="2026-W48 or 2026-11 (default: this period)"),
    csv_out: Optional[Path] = typer.Option(None, "--csv", help="Also write the payroll CSV here"),
) -> None:
    """One row per person: approved items, active hours, rewards, bonuses, top-up, total, rate."""
    from annotator.core.money import shown
    from annotator.core.pay_report import pay_report, underpaying, write_pay_csv

    with writing(ctx) as s:
        report = pay_report(s, acting_user(ctx), project, period)
        warning = underpaying(s, acting_user(ctx), project)
        if csv_out is not None:
            write_pay_csv(s, acting_user(ctx), report, csv_out)
    table = Table(title=f"Pay for {report.project}, {report.period}")
    for column in ("Person", "Approved", "Active h", "Rewards", "Bonuses", "Top-up", "Total", "Rate/h"):
        table.add_column(column, justify="left" if column == "Person" else "right")
    for row in report.rows:
        s_, cur = row.settlement, row.settlement.currency
        rate = s_.rate()
        table.add_row(row.person, str(s_.approved), f"{s_.hours:.2f}", shown(s_.rewards, cur),
                      shown(s_.bonuses + s_.rule_bonus, cur), shown(s_.top_up, cur), shown(s_.total, cur),
                      "-" if rate is None else shown(rate, cur))
    console.print(table)
    for currency, total in report.total.items():
        console.print(f"Total {shown(total, currency)} to {len(report.rows)} person(s).")
    if warning is not None:
        cur = report.terms.currency
        console.print(f"Warning: at the median {warning.median_seconds:.0f} s per item the reward pays "
                      f"{shown(warning.implied_rate, cur)} an hour, below the floor of {shown(warning.floor, cur)}; "
                      f"a reward of {shown(warning.fair_reward, cur)} would meet it.", style="yellow")
    if csv_out is not None:
        console.print(f"Wrote {csv_out}.")


@pay_app.command("statement")
def pay_statement_cmd(
    ctx: typer.Context,
    user: str,
    project: Optional[str] = typer.Option(None, "--project", help="One project (default: every paying project "
                                                                  "they have worked on)"),
    period: Optional[str] = typer.Option(None, "--period", help="2026-W48 or 2026-11 (default: this period)"),
) -> None:
    """A person's pay for a period: what they handed in, what it earned, and each rejection's reason."""
    from annotator.core.pay_statement import paying_projects_of, statement
    from annotator.core.pay_text import statement_lines

    with reading(ctx) as s:
        names = [project] if project else paying_projects_of(s, acting_user(ctx), user)
        statements = [statement(s, acting_user(ctx), user, name, period) for name in names]
    if not statements:
        console.print(f"{user} has worked on no project that pays.")
    for n, st in enumerate(statements):
        if n:
            console.print("")
        for line in statement_lines(st):
            console.print(line, highlight=False, markup=False)
