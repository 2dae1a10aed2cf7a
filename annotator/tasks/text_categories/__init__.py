"""Text categories: pick one label for a text, or a set of labels when the project is `multi`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from annotator.errors import ConfigError, InvalidAnswer
from annotator.tasks.base import labels_from_config, mean_pairwise


def _label_set(config: Mapping[str, Any], answer: Mapping[str, Any]) -> set[str]:
    if config.get("multi"):
        return set(answer.get("labels", []))
    label = answer.get("label")
    return {label} if label is not None else set()


class TextCategories:
    name = "text_categories"
    title = "Text categories"
    media_fields: tuple[str, ...] = ()

    def validate_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(config)
        out["labels"] = labels_from_config(config)
        if "multi" in config and not isinstance(config["multi"], bool):
            raise ConfigError(f"'multi' must be true or false, not {config['multi']!r}.")
        out["multi"] = bool(config.get("multi", False))
        unknown = set(config) - {"labels", "multi", "direction"}
        if unknown:
            raise ConfigError(f"Unknown text_categories option(s): {', '.join(sorted(unknown))}.")
        return out

    def validate_payload(self, payload: Mapping[str, Any]) -> None:
        text = payload.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InvalidAnswer("A text_categories item needs 'text': a non-empty string.")

    def validate_answer(self, config: Mapping[str, Any], answer: Mapping[str, Any]) -> None:
        labels = set(config.get("labels", []))
        if config.get("multi"):
            chosen = answer.get("labels") if isinstance(answer, Mapping) else None
            if not isinstance(chosen, list):
                raise InvalidAnswer("A multi-label answer is {'labels': [...]}.")
        else:
            chosen = [answer.get("label")] if isinstance(answer, Mapping) else [None]
            if chosen[0] is None:
                raise InvalidAnswer("A text_categories answer is {'label': NAME}.")
        unknown = [c for c in chosen if c not in labels]
        if unknown:
            raise InvalidAnswer(
                f"{', '.join(map(repr, unknown))} is not one of this project's labels ({', '.join(sorted(labels))})."
            )

    def score(self, config, answer, gold) -> float:
        a, g = _label_set(config, answer), _label_set(config, gold)
        if not config.get("multi"):
            return 1.0 if a == g else 0.0
        if not a and not g:
            return 1.0
        return len(a & g) / len(a | g)

    def agreement(self, config, answers: Sequence[Mapping[str, Any]]) -> float:
        return mean_pairwise(self, config, answers)

    def aggregate(self, config, answers, weights=None) -> dict[str, Any]:
        """Weighted majority vote (per label for multi-label). Ties go to the label listed first."""
        weights = list(weights) if weights is not None else [1.0] * len(answers)
        votes: dict[str, float] = defaultdict(float)
        for answer, weight in zip(answers, weights):
            for label in _label_set(config, answer):
                votes[label] += weight
        order = {label: i for i, label in enumerate(config.get("labels", []))}
        if config.get("multi"):
            total = sum(weights)
            return {"labels": sorted((l for l, v in votes.items() if v > total / 2), key=order.get)}
        if not votes:
            return {"label": None}
        return {"label": min(votes, key=lambda l: (-votes[l], order.get(l, len(order))))}

    def widget_class(self) -> type:
        from annotator.tasks.text_categories.widget import TextCategoriesWidget

        return TextCategoriesWidget
