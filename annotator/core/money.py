"""Money and pay periods, with no database: amounts as exact `Decimal`s at the edges and whole
micro-units (a millionth of the currency's unit) inside, the currencies and minor units Babel
knows (ISO 4217), and periods named as ISO weeks (2026-W48) or months (2026-11), in UTC."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

from babel import numbers

from annotator.errors import AnnotatorError

MICROS = 1_000_000


def currency_code(given: str) -> str:
    """An ISO 4217 code, upper-cased, or one error saying what was expected."""
    code = (given or "").strip().upper()
    if code not in numbers.list_currencies():
        raise AnnotatorError(f"{given!r} is not a currency Annotator knows; give an ISO 4217 code such as "
                             "USD, EUR, GBP or INR")
    return code


def to_micros(amount: str | Decimal | int, what: str, *, positive: bool = False) -> int:
    """'0.05' as 50000: exact, refusing a negative amount (and zero, if `positive`) by its name."""
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise AnnotatorError(f"{what} should be an amount such as 0.05, not {amount!r}") from None
    if not value.is_finite() or value < 0 or (positive and value == 0):
        raise AnnotatorError(f"{what} should be {'more than' if positive else 'at least'} 0, not {amount}")
    micros = value * MICROS
    if micros != micros.to_integral_value():
        raise AnnotatorError(f"{what} has more than 6 decimal places: {amount}")
    return int(micros)


def to_decimal(micros: int) -> Decimal:
    return Decimal(micros) / MICROS


def minor_unit(currency: str) -> Decimal:
    """The smallest amount paid out: 0.01 for USD, 1 for JPY."""
    return Decimal(1).scaleb(-numbers.get_currency_precision(currency))


def paid_out(micros: int, currency: str, *, up: bool = False) -> Decimal:
    """An amount in what a payroll can pay: the currency's minor unit, half up (or up, for a
    top-up, which must reach the floor)."""
    return to_decimal(micros).quantize(minor_unit(currency), rounding=ROUND_CEILING if up else ROUND_HALF_UP)


@functools.cache
def _written(currency: str) -> tuple[str, int]:
    """How Babel writes the currency (its symbol and spacing before the figure) and its digits:
    asked once, as a report writes thousands of amounts."""
    probe = numbers.format_currency(Decimal(1), currency, locale="en_US")
    return probe[:probe.index("1")], numbers.get_currency_precision(currency)


def shown(amount: Decimal, currency: str) -> str:
    """`$1,234.50`, as Babel writes it in en_US: for the windows and the command line."""
    prefix, digits = _written(currency)
    sign = "-" if amount < 0 else ""
    return f"{sign}{prefix}{abs(amount):,.{digits}f}"


def check_minor(amount: Decimal, currency: str, what: str) -> None:
    """A bonus is paid as it is given: it may not be finer than the currency's minor unit."""
    if amount != amount.quantize(minor_unit(currency)):
        raise AnnotatorError(f"{what} {amount} is finer than {currency}'s smallest unit, {minor_unit(currency)}")


# Periods ------------------------------------------------------------------------------------

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def period_of(when: datetime, kind: str = "weekly") -> str:
    """The period a moment falls in: 2026-W48 (ISO week) or 2026-11."""
    day = when.astimezone(timezone.utc).date()
    if kind == "monthly":
        return f"{day.year}-{day.month:02d}"
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def period_bounds(period: str, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) in UTC. A period not yet begun, or a name of neither shape, is refused."""
    week, month = _WEEK.match(period or ""), _MONTH.match(period or "")
    try:
        if week:
            start_day = date.fromisocalendar(int(week[1]), int(week[2]), 1)
            end_day = start_day + timedelta(days=7)
        elif month:
            start_day = date(int(month[1]), int(month[2]), 1)
            end_day = date(start_day.year + start_day.month // 12, start_day.month % 12 + 1, 1)
        else:
            raise ValueError
    except ValueError:
        raise AnnotatorError(f"a pay period is an ISO week such as 2026-W48 or a month such as 2026-11, "
                             f"not {period!r}") from None
    start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=timezone.utc)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=timezone.utc)
    if start > (now or datetime.now(timezone.utc)):
        raise AnnotatorError(f"the period {period} has not begun yet; nothing is owed for it")
    return start, end


def recent_periods(kind: str, now: datetime, count: int = 8) -> list[str]:
    """This period and the ones before it, newest first: the windows' choices."""
    seen, when = [], now
    while len(seen) < count:
        name = period_of(when, kind)
        if name not in seen:
            seen.append(name)
        when -= timedelta(days=7 if kind == "weekly" else 28)
    return seen
