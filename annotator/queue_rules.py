"""The queue's rules on SQLite, each written once.

The session code (core/queue.py), the plain-SQL common path (core/queue_sql.py) and the offline
check-in all use these: the SQL ones as fragments of their statements, the Python ones called
before a statement, whose result it writes. The module imports nothing of the project, so that
every layer may use it; that is why it sits beside errors.py. On PostgreSQL each rule is
written once in the server's functions (migration 0007). ADR 11 lists where each rule lives on
both backends.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

# DESIGN §4: the highest priority first, then what the model is least sure of, then import order.
CLAIM_ORDER = "priority DESC, confidence, id"

# Work that is still its user's to finish, if its slot can be had: a live claim, or one whose
# lease ran out or that was given back without a skip.
OPEN_TO_ITS_USER = ("claimed", "expired", "released")

# A lease can be extended to at most this many times the project's lease from now.
EXTEND_MAX_FACTOR = 4


def not_worked_by(user: str) -> str:
    """SQL: the item (`items`) was never assigned to this user, in any status. Each user answers
    each item at most once, whatever the overlap."""
    return f"NOT EXISTS (SELECT 1 FROM assignments worked WHERE worked.item_id = items.id AND worked.user_id = {user})"


# SQL over an assignment `o` and its item `oi`: open work this user can take up again now.
# Expired and released work counts only while its item has a free slot (gold items hold none).
RESUMABLE = (
    "o.status IN ('claimed', 'expired', 'released') AND NOT o.skipped"
    " AND (o.status = 'claimed' OR oi.open_slots > 0 OR oi.is_gold)"
)
# A live claim first (a restart), then the oldest.
RESUME_ORDER = "o.status <> 'claimed', o.claimed_at, o.id"

# SQL over an assignment `a` and its item `i`: a submit the common path may store at once. Late,
# repeated, skipped and gold submits go to the full path.
LIVE_ORDINARY_CLAIM = "a.status = 'claimed' AND NOT a.skipped AND NOT a.is_gold AND NOT i.is_gold"


def claim_takes_common_path(*, membership_state: str | None, qualification_project_id: int | None,
                            has_expired_leases: bool, resumable: bool, gold_due: bool) -> bool:
    """An active member with nothing to resume, no gold due, no qualification to check and no
    lease to expire first: the claim is one pick-and-take, with no session."""
    return (membership_state == "active" and not qualification_project_id and not has_expired_leases
            and not resumable and not gold_due)


def gold_due(gold_rate: float, gold_countdown: int) -> bool:
    return gold_rate > 0 and gold_countdown <= 0


def next_gold_gap(rate: float) -> int:
    """Ordinary claims before the next gold one: uniform around 1/rate - 1, so the mean rate is
    right but no fixed period betrays which claims are gold."""
    mean = 1.0 / rate - 1.0
    return max(0, round(random.uniform(0.5 * mean, 1.5 * mean)))


def clamp_seconds(reported: Any, claimed_at: datetime, now: datetime) -> float:
    """Clients report active time; it is never negative and never more than the time since the
    claim, to the millisecond."""
    elapsed = max(0.0, (now - claimed_at).total_seconds())
    return round(min(max(0.0, float(reported or 0.0)), elapsed), 3)


def review_status(policy: str) -> str:
    """A fresh submission's status: approved at once with no review, else waiting for a lead (or
    for the project's auto-approve delay)."""
    return "approved" if policy == "none" else "submitted"


def needs_review(policy: str, sample: float) -> bool:
    """Whether a lead must look at a fresh submission: all of them, or a random `sample` share."""
    if policy == "all":
        return True
    return policy == "sample" and random.random() < sample


def status_for(policy: str, sample: float) -> tuple[str, bool]:
    return review_status(policy), needs_review(policy, sample)
