"""Image boxes: draw labelled rectangles on an image. Boxes are in pixels of the upright
(EXIF-transposed) image, so what the annotator sees is what is stored and exported."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from annotator.errors import ConfigError, InvalidAnswer
from annotator.tasks.base import labels_from_config, mean_pairwise
from annotator.tasks.image_boxes.geometry import fuse, match_score


class ImageBoxes:
    name = "image_boxes"
    title = "Image boxes"
    media_fields = ("image",)

    def validate_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(config)
        out["labels"] = labels_from_config(config)
        unknown = set(config) - {"labels", "colors", "min_box_pixels"}
        if unknown:
            raise ConfigError(f"Unknown image_boxes option(s): {', '.join(sorted(unknown))}.")
        return out

    def validate_payload(self, payload: Mapping[str, Any]) -> None:
        image = payload.get("image")
        if not isinstance(image, str) or not image:
            raise InvalidAnswer("An image_boxes item needs 'image': the path of an image file.")

    def validate_answer(self, config: Mapping[str, Any], answer: Mapping[str, Any]) -> None:
        boxes = answer.get("boxes") if isinstance(answer, Mapping) else None
        if not isinstance(boxes, list):
            raise InvalidAnswer("An image_boxes answer is {'boxes': [...]}, a list of boxes.")
        labels = set(config.get("labels", []))
        for n, box in enumerate(boxes, 1):
            if not isinstance(box, Mapping):
                raise InvalidAnswer(f"Box {n} is not an object with label, x, y, w, h.")
            if box.get("label") not in labels:
                raise InvalidAnswer(
                    f"Box {n} has the label {box.get('label')!r}, which is not one of this project's labels "
                    f"({', '.join(sorted(labels))})."
                )
            for key in "xywh":
                value = box.get(key)
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                    raise InvalidAnswer(f"Box {n} needs a number for '{key}', not {value!r}.")
            if box["w"] <= 0 or box["h"] <= 0:
                raise InvalidAnswer(f"Box {n} has no area (w={box['w']}, h={box['h']}).")

    def score(self, config, answer, gold) -> float:
        return match_score(answer.get("boxes", []), gold.get("boxes", []))

    def agreement(self, config, answers: Sequence[Mapping[str, Any]]) -> float:
        return mean_pairwise(self, config, answers)

    def aggregate(self, config, answers, weights=None) -> dict[str, Any]:
        weights = list(weights) if weights is not None else [1.0] * len(answers)
        boxes, _ = fuse([a.get("boxes", []) for a in answers], weights)
        return {"boxes": boxes}

    def widget_class(self) -> type:
        from annotator.tasks.image_boxes.widget import ImageBoxesWidget

        return ImageBoxesWidget
