"""The review policy's decision for a fresh submission (SQLite; on PostgreSQL the server's
queue_store_answer decides the same way). A module of its own so that the queue and the review
services, which use each other's rules, import it instead of each other."""

from __future__ import annotations

import random


def status_for(policy: str, sample: float) -> tuple[str, bool]:
    """(status, needs_review) for a fresh submission under the project's review policy.
    With no review, work is approved at once; otherwise it waits for a lead, or for the
    project's auto-approve delay when it falls outside the sample."""
    if policy == "none":
        return "approved", False
    if policy == "all":
        return "submitted", True
    return "submitted", random.random() < sample
