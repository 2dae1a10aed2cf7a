"""Label Studio's JSON export: a list of tasks, each with its `data`, its `annotations` (what
people did) and its `predictions` (a model's). Results of the types Annotator's kinds hold come
in (`rectanglelabels` from percent of `original_width` and `original_height`, `choices`,
`textarea`); the others (polygons, keypoints, relations, taxonomies, spans) are counted and
reported. The writer gives tasks Label Studio opens with the label config written beside them."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, TextIO
from xml.sax.saxutils import quoteattr

from annotator.errors import BadInput
from annotator.formats import ImportedAnswer, ItemRecord
from annotator.formats.base import ExportItem, ImportNotes, ProjectLabels

SOURCE_FIELD = {"image_boxes": "image", "text_categories": "text", "transcription": "audio"}


def looks_like_labelstudio(path: Path) -> bool:
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip()
    return head.startswith(b"[") and b'"data"' in head


def _answer(results: list[dict], kind: str, labels: ProjectLabels, notes: ImportNotes, where: str, path: Path) -> dict | None:
    boxes, choices, texts = [], [], []
    for n, r in enumerate(results):
        kind_of = r.get("type")
        value = r.get("value") or {}
        if kind_of == "rectanglelabels" and kind == "image_boxes":
            try:
                w, h = float(r["original_width"]), float(r["original_height"])
                x, y = float(value["x"]) * w / 100, float(value["y"]) * h / 100
                bw, bh = float(value["width"]) * w / 100, float(value["height"]) * h / 100
                label = value["rectanglelabels"][0]
            except (KeyError, IndexError, TypeError, ValueError):
                raise BadInput(str(path), "a rectangle needs original_width, original_height and x, y, width, height "
                               "and rectanglelabels in its value", field=f"{where}.result[{n}]") from None
            if value.get("rotation"):
                notes.count("rotated rectangles (their unrotated boxes kept)")
            labels.require(label, path, f"{where}.result[{n}]")
            boxes.append({"label": label, "x": round(x, 3), "y": round(y, 3), "w": round(bw, 3), "h": round(bh, 3)})
        elif kind_of == "choices" and kind == "text_categories":
            for label in value.get("choices") or []:
                labels.require(label, path, f"{where}.result[{n}]")
                choices.append(label)
        elif kind_of == "textarea" and kind == "transcription":
            texts.extend(str(t) for t in value.get("text") or [])
        else:
            notes.count(f"{kind_of or 'untyped'} results (no {kind} answer holds them; left out)")
    if kind == "image_boxes":
        return {"boxes": boxes}
    if kind == "text_categories":
        return {"label": choices[0]} if len(choices) == 1 else {"labels": choices} if choices else None
    return {"text": "\n".join(texts)} if texts else None


def read_labelstudio(path: Path, kind: str, labels: list[str], notes: ImportNotes) -> list[ItemRecord]:
    """One record per task: its predictions' first result set as its prediction, and its first
    annotation that was not cancelled as its answer (gold with --gold)."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise BadInput(str(path), f"not valid JSON ({exc.msg})", line=exc.lineno) from None
    if not isinstance(tasks, list):
        raise BadInput(str(path), "a Label Studio export is a list of tasks")
    field = SOURCE_FIELD[kind]
    known = ProjectLabels(labels)
    records = []
    for n, task in enumerate(tasks):
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get(field), str) or not data[field]:
            raise BadInput(str(path), f"each task needs data.{field}", field=f"[{n}].data.{field}")
        done = [(k, a) for k, a in enumerate(task.get("annotations") or task.get("completions") or [])
                if not a.get("was_cancelled")]
        answers = [_imported(a, _answer(a.get("result") or [], kind, known, notes, f"[{n}].annotations[{k}]", path),
                             f"[{n}].annotations[{k}]", path) for k, a in done]
        answer = answers[0].value if answers else None
        predicted = task.get("predictions") or []
        prediction = _answer(predicted[0].get("result") or [], kind, known, notes, f"[{n}].predictions[0]", path) \
            if predicted else None
        source, others = data[field], {k: v for k, v in data.items() if k != field}
        payload: dict[str, Any] = {"meta": others} if others else {}
        media: dict[str, Path | str] = {}
        if kind == "text_categories":
            payload[field] = source
        else:
            media[field] = source if source.startswith(("http://", "https://")) else _local(path, source)
        records.append(ItemRecord(external_id=str(task.get("id", n)), payload=payload, file=str(path), gold=answer,
                                  prediction=prediction, media=media,
                                  answers=[a for a in answers if a.value is not None]))
    return records


def annotator_of(annotation: dict) -> str:
    """Who made an annotation, as Label Studio names them: their e-mail, else their user id."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("id")
    return "unknown" if who in (None, "") else str(who)


def _imported(annotation: dict, value, where: str, path: Path) -> ImportedAnswer:
    when = annotation.get("updated_at") or annotation.get("created_at")
    try:
        submitted = datetime.fromisoformat(when.replace("Z", "+00:00")) if isinstance(when, str) else None
        if submitted is not None and submitted.tzinfo is None:  # Label Studio writes UTC
            submitted = submitted.replace(tzinfo=timezone.utc)
    except ValueError:
        raise BadInput(str(path), f"{when!r} is not an ISO 8601 time", field=f"{where}.created_at") from None
    seconds = annotation.get("lead_time")
    if seconds is not None and (not isinstance(seconds, (int, float)) or seconds < 0):
        raise BadInput(str(path), f"lead_time should be a number of seconds, not {seconds!r}", field=f"{where}.lead_time")
    return ImportedAnswer(annotator_of(annotation), value, submitted, float(seconds or 0.0), where)


def _local(path: Path, given: str) -> Path:
    """A task's media: beside the export, by its path or its name (Label Studio's /data/upload/…)."""
    for candidate in (path.parent / given.lstrip("/"), path.parent / Path(given).name):
        if candidate.is_file():
            return candidate
    return path.parent / Path(given).name


def write_labelstudio(out: TextIO, kind: str, items: Iterable[ExportItem], progress=None) -> int:
    """Tasks with every answer as an annotation by its annotator and the item's prediction."""
    field = SOURCE_FIELD[kind]
    out.write("[")
    count = 0
    for count, item in enumerate(items, 1):
        given = str(item.payload.get("original_name") or item.payload.get(field) or "")
        # Text as it is; media by URL where they came from one (Label Studio loads URLs), else by name.
        data = {field: given if kind == "text_categories" or given.startswith(("http://", "https://")) else item.name}
        task = {"id": count, "data": data, "meta": {"annotator_id": item.external_id},
                "annotations": [{"completed_by": {"email": a.annotator or "consensus"},
                                 "result": _results(kind, a.value, item.size)} for a in item.answers],
                "predictions": [{"model_version": "imported", "result": _results(kind, item.prediction, item.size)}]
                if item.prediction else []}
        out.write(("," if count > 1 else "") + "\n" + json.dumps(task, ensure_ascii=False))
        if progress:
            progress(count, 0, item.name)
    out.write("\n]\n")
    return count


def _results(kind: str, answer: dict[str, Any], size: tuple[int, int]) -> list[dict]:
    if kind == "image_boxes":
        w, h = size
        return [{"type": "rectanglelabels", "from_name": "label", "to_name": "image", "original_width": w,
                 "original_height": h, "image_rotation": 0,
                 "value": {"x": b["x"] * 100 / w, "y": b["y"] * 100 / h, "width": b["w"] * 100 / w,
                           "height": b["h"] * 100 / h, "rotation": 0, "rectanglelabels": [b["label"]]}}
                for b in answer.get("boxes", [])]
    if kind == "text_categories":
        chosen = answer.get("labels") or ([answer["label"]] if answer.get("label") else [])
        return [{"type": "choices", "from_name": "label", "to_name": "text", "value": {"choices": chosen}}]
    return [{"type": "textarea", "from_name": "transcript", "to_name": "audio", "value": {"text": [answer.get("text", "")]}}]


def label_config(kind: str, labels: list[str], multi: bool = False) -> str:
    """The labelling interface Label Studio needs to open the tasks written above."""
    options = "".join(f"\n    <{'Label' if kind == 'image_boxes' else 'Choice'} value={quoteattr(label)}/>"
                      for label in labels)
    if kind == "image_boxes":
        return (f'<View>\n  <Image name="image" value="$image"/>\n  <RectangleLabels name="label" toName="image">'
                f"{options}\n  </RectangleLabels>\n</View>\n")
    if kind == "text_categories":
        choice = ' choice="multiple"' if multi else ""
        return (f'<View>\n  <Text name="text" value="$text"/>\n  <Choices name="label" toName="text"{choice}>'
                f"{options}\n  </Choices>\n</View>\n")
    return ('<View>\n  <Audio name="audio" value="$audio"/>\n  <TextArea name="transcript" toName="audio"/>\n'
            "</View>\n")
