"""How a period settles, over random ledgers: the total is the sum of the statement's lines, the
rewards are the ledger's exact sum, and the top-up is the least that lifts the rate to the floor."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings, strategies as st

from annotator.core.money import minor_unit, period_bounds, period_of, recent_periods, to_decimal
from annotator.core.pay import PayTerms, settle

items = st.lists(st.tuples(st.integers(0, 2_000_000), st.floats(0.001, 3600, allow_nan=False)), max_size=60)


@settings(max_examples=300, deadline=None)
@given(items, st.sampled_from(["USD", "JPY", "EUR", "BHD"]), st.integers(0, 40_000_000),
       st.integers(0, 50_000_000), st.booleans())
def test_a_settlement_adds_up_and_meets_the_floor_by_the_least_top_up(ledger, currency, floor, bonus, by_rule):
    unit = minor_unit(currency)
    terms = PayTerms(currency, Decimal("0.05"), floor=to_decimal(floor) if floor else None,
                     bonus=Decimal("0.02") if by_rule else None, bonus_min_gold=0.8 if by_rule else None)
    micros = sum(m for m, _ in ledger)
    seconds = sum(s for _, s in ledger)
    bonus_micros = int(to_decimal(bonus).quantize(unit) * 1_000_000)
    s = settle(terms, currency, len(ledger), micros, seconds, bonus_micros, 0.9)
    lines = [s.rewards, s.bonuses, s.rule_bonus, s.top_up]
    assert s.total == sum(lines) and all(line == line.quantize(unit) and line >= 0 for line in lines)
    assert abs(s.rewards - to_decimal(micros)) <= unit / 2  # the exact sum, rounded once
    assert s.rule_bonus == ((Decimal("0.02") * len(ledger)).quantize(unit, ROUND_HALF_UP) if by_rule else 0)
    owed = (terms.floor or 0) * Decimal(str(round(seconds, 3))) / 3600
    assert s.rewards + s.top_up >= owed
    if s.top_up:
        assert s.rewards + s.top_up - unit < owed


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(timezone.utc)),
       st.sampled_from(["weekly", "monthly"]))
def test_every_moment_falls_in_the_period_named_for_it(when, kind):
    start, end = period_bounds(period_of(when, kind), now=when)
    assert start <= when < end
    assert recent_periods(kind, when, 3)[0] == period_of(when, kind)


@given(st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False),
       st.sampled_from(["USD", "EUR", "JPY", "GBP", "CHF", "INR", "BHD", "SEK"]))
def test_amounts_are_written_as_babel_writes_them(amount, currency):
    from babel import numbers

    from annotator.core.money import shown

    assert shown(amount, currency) == numbers.format_currency(amount, currency, locale="en_US")
