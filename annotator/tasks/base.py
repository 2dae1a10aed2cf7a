"""The task-kind protocol of DESIGN §2: a Qt-free object that knows one kind of work."""

from __future__ import annotations

from typing import Any, Mapping, Protocol, Sequence, runtime_checkable


@runtime_checkable
class TaskKind(Protocol):
    name: str
    title: str
    # Payload keys that name media files, resolved against the project's media root.
    media_fields: tuple[str, ...]

    def validate_config(self, config: Mapping[str, Any]) -> dict[str, Any]: ...

    def validate_payload(self, payload: Mapping[str, Any]) -> None: ...

    def validate_answer(self, config: Mapping[str, Any], answer: Mapping[str, Any]) -> None: ...

    def score(self, config: Mapping[str, Any], answer: Mapping[str, Any], gold: Mapping[str, Any]) -> float: ...

    def agreement(self, config: Mapping[str, Any], answers: Sequence[Mapping[str, Any]]) -> float: ...

    def aggregate(
        self, config: Mapping[str, Any], answers: Sequence[Mapping[str, Any]], weights: Sequence[float] | None = None
    ) -> dict[str, Any]: ...

    def widget_class(self) -> type: ...


def mean_pairwise(kind: TaskKind, config: Mapping[str, Any], answers: Sequence[Mapping[str, Any]]) -> float:
    """Agreement as the mean of the kind's symmetric score over all pairs of answers."""
    scores = [
        (kind.score(config, a, b) + kind.score(config, b, a)) / 2
        for i, a in enumerate(answers)
        for b in answers[i + 1 :]
    ]
    return sum(scores) / len(scores) if scores else 1.0


def labels_from_config(config: Mapping[str, Any], *, what: str = "labels") -> list[str]:
    from annotator.errors import ConfigError

    labels = config.get("labels")
    if not isinstance(labels, list) or not labels:
        raise ConfigError(f"The config needs '{what}': a non-empty list of label names.")
    clean = []
    for i, label in enumerate(labels):
        if not isinstance(label, str) or not label.strip():
            raise ConfigError(f"Label {i + 1} in '{what}' is {label!r}; each label must be a non-empty string.")
        clean.append(label.strip())
    duplicates = sorted({label for label in clean if clean.count(label) > 1})
    if duplicates:
        raise ConfigError(f"The labels repeat {', '.join(duplicates)}; each label must appear once.")
    return clean
