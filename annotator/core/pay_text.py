"""Pay in words, the same on the command line and in the windows: a project's terms in a line,
and a statement's lines."""

from __future__ import annotations

from annotator.core.money import shown
from annotator.core.pay import PayTerms
from annotator.core.pay_statement import Statement


PERIOD_WORD = {"weekly": "week", "monthly": "month"}


def minutes(seconds: int | float | None) -> str:
    if not seconds:
        return "—"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def active_time(seconds: float) -> str:
    """Measured time as a person reads it: 42 s, 7.5 min, 3 h 05 min."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    hours, rest = divmod(round(seconds / 60), 60)
    return f"{hours} h {rest:02d} min"


def terms_line(terms: PayTerms) -> str:
    cur = terms.currency
    pay = f"{shown(terms.hourly, cur)} per active hour" if terms.hourly is not None \
        else f"{shown(terms.reward, cur)} per approved item"
    parts = [pay, f"about {minutes(terms.estimate_seconds)} an item" if terms.estimate_seconds else ""]
    if terms.floor is not None:
        parts.append(f"never below {shown(terms.floor, cur)} an hour")
    if terms.bonus is not None:
        parts.append(f"+{shown(terms.bonus, cur)} an item in a {PERIOD_WORD[terms.period]} "
                     f"with gold accuracy ≥ {terms.bonus_min_gold:.0%}")
    return ", ".join(p for p in parts if p)


def statement_lines(st: Statement) -> list[str]:
    s, cur = st.settlement, st.settlement.currency
    rate = s.rate()
    lines = [
        f"Statement for {st.user} on {st.project}, {st.period}",
        f"  Items handed in: {st.submitted}  approved: {s.approved}  waiting for review: {st.pending}  "
        f"rejected: {st.rejected}",
        f"  Active time: {active_time(s.active_seconds)}  effective rate: {'—' if rate is None else shown(rate, cur)} an hour",
        f"  Rewards:  {shown(s.rewards, cur)}",
        f"  Bonuses:  {shown(s.bonuses, cur)}",
    ]
    lines += [f"    {shown(amount, cur)}: {reason}" for amount, reason in st.bonus_lines]
    if st.terms.bonus is not None:
        accuracy = "no gold scored" if s.gold_accuracy is None else f"gold accuracy {s.gold_accuracy:.0%}"
        lines.append(f"  Gold bonus: {shown(s.rule_bonus, cur)} ({accuracy}; "
                     f"{st.terms.bonus_min_gold:.0%} earns {shown(st.terms.bonus, cur)} an item)")
    if st.terms.floor is not None:
        lines.append(f"  Top-up to the floor of {shown(st.terms.floor, cur)} an hour: {shown(s.top_up, cur)}")
    lines.append(f"  Total:    {shown(s.total, cur)}")
    for item, comment in st.rejections:
        lines.append(f"  Rejected {item}: {comment}")
    return lines
