"""Transcription: type what is said in an audio clip (or a segment of one)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import jiwer

from annotator.errors import ConfigError, InvalidAnswer
from annotator.tasks.base import mean_pairwise

@functools.cache
def _normaliser():
    """Case, punctuation and spacing do not count against a transcript. Made at first use: jiwer
    builds its punctuation table from every Unicode character, a second's work at import."""
    return jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(), jiwer.Strip()])


def normalise(text: str) -> str:
    return _normaliser()(text)


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    if not hyp:
        return 1.0
    return jiwer.wer(ref, hyp)


class Transcription:
    name = "transcription"
    title = "Transcription"
    media_fields = ("audio",)

    def validate_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(config) - {"language", "guidelines", "labels"}
        if unknown:
            raise ConfigError(f"Unknown transcription option(s): {', '.join(sorted(unknown))}.")
        return dict(config)

    def validate_payload(self, payload: Mapping[str, Any]) -> None:
        audio = payload.get("audio")
        if not isinstance(audio, str) or not audio:
            raise InvalidAnswer("A transcription item needs 'audio': the path of an audio file.")
        start, end = payload.get("start"), payload.get("end")
        if start is not None and end is not None and not (0 <= float(start) < float(end)):
            raise InvalidAnswer(f"The segment start {start} must come before its end {end}.")

    def validate_answer(self, config: Mapping[str, Any], answer: Mapping[str, Any]) -> None:
        if not isinstance(answer, Mapping) or not isinstance(answer.get("text"), str):
            raise InvalidAnswer("A transcription answer is {'text': '...'}.")

    def score(self, config, answer, gold) -> float:
        return max(0.0, 1.0 - word_error_rate(gold.get("text", ""), answer.get("text", "")))

    def agreement(self, config, answers: Sequence[Mapping[str, Any]]) -> float:
        return mean_pairwise(self, config, answers)

    def aggregate(self, config, answers, weights=None) -> dict[str, Any]:
        """The medoid: the answer with the lowest weighted mean WER to the others."""
        if not answers:
            return {"text": ""}
        weights = list(weights) if weights is not None else [1.0] * len(answers)

        def cost(i: int) -> float:
            return sum(
                w * word_error_rate(answers[j].get("text", ""), answers[i].get("text", ""))
                for j, w in enumerate(weights)
                if j != i
            )

        best = min(range(len(answers)), key=lambda i: (cost(i), -weights[i], i))
        return {"text": answers[best].get("text", "")}

    def widget_class(self) -> type:
        from annotator.tasks.transcription.widget import TranscriptionWidget

        return TranscriptionWidget
