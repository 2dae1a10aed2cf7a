"""Gold answers. Only leads read them; annotator code paths never touch this table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotator.core.auth import Actor, require
from annotator.db.models import GoldAnswer
from annotator.errors import NotFound


def get_gold_answer(session: Session, actor: Actor, item_id: int) -> dict[str, Any]:
    require(actor, "lead", "read gold answers")
    answer = session.scalar(select(GoldAnswer.answer).where(GoldAnswer.item_id == item_id))
    if answer is None:
        raise NotFound(f"Item {item_id} has no gold answer.")
    return answer
