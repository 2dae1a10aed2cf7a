"""Review: which submissions a lead must look at, and the decisions on them."""

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
