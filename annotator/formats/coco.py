"""COCO instances: boxes with categories. The reader takes each annotation's `bbox` (polygons and
RLE masks are counted and reported, the box kept); the writer streams images and annotations,
with an `area` recomputed from the box, since real files carry wrong ones."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Iterable, TextIO

from annotator.errors import BadInput
from annotator.formats import ItemRecord
from annotator.formats.base import ExportItem, ImportNotes, ProjectLabels


def looks_like_coco(path: Path) -> bool:
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    # An object of images, annotations and categories; Label Studio's export is a list of tasks.
    return head.startswith(b"{") and (b'"images"' in head or b'"annotations"' in head or b'"categories"' in head)


def read_coco(path: Path, labels: list[str], images: Path | None, notes: ImportNotes) -> list[ItemRecord]:
    """One record per image, its boxes in the record's `boxes` answer. Every category used must be
    one of the project's labels."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise BadInput(str(path), f"not valid JSON ({exc.msg})", line=exc.lineno) from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise BadInput(str(path), "a COCO file needs an \"images\" list", field="images")
    categories = {}
    for n, cat in enumerate(data.get("categories") or []):
        try:
            categories[cat["id"]] = str(cat["name"])
        except (KeyError, TypeError):
            raise BadInput(str(path), "each category needs an id and a name", field=f"categories[{n}]") from None
    known = ProjectLabels(labels)
    boxes: dict[Any, list[dict[str, Any]]] = {}
    for n, ann in enumerate(data.get("annotations") or []):
        where = f"annotations[{n}]"
        if not isinstance(ann, dict):
            raise BadInput(str(path), "an annotation must be an object", field=where)
        label = categories.get(ann.get("category_id"))
        if label is None:
            raise BadInput(str(path), f"category_id {ann.get('category_id')!r} is not among the file's categories",
                           field=f"{where}.category_id")
        known.require(label, path, f"{where}.category_id", f"the category {label!r}")
        bbox = ann.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox)):
            raise BadInput(str(path), "bbox must be [x, y, width, height] in pixels", field=f"{where}.bbox")
        x, y, w, h = (float(v) for v in bbox)
        if w <= 0 or h <= 0:
            raise BadInput(str(path), f"the box {bbox} is empty", field=f"{where}.bbox")
        segmentation = ann.get("segmentation")
        if isinstance(segmentation, dict):
            notes.count("RLE masks (their boxes kept)")
        elif isinstance(segmentation, list) and segmentation:
            notes.count("polygons (their boxes kept)")
        if str(ann.get("iscrowd", 0)).strip().lower() in ("1", "true"):
            notes.count("crowd regions (kept as boxes)")
        boxes.setdefault(ann.get("image_id"), []).append(
            {"label": label, "x": round(x, 3), "y": round(y, 3), "w": round(w, 3), "h": round(h, 3)})
    folder = images or path.parent
    records = []
    for n, image in enumerate(data["images"]):
        try:
            name = str(image["file_name"])
            image_id = image["id"]
        except (KeyError, TypeError):
            raise BadInput(str(path), "each image needs an id and a file_name", field=f"images[{n}]") from None
        local = folder / name
        if not local.is_file() and (folder / Path(name).name).is_file():
            local = folder / Path(name).name  # a path from the exporting machine, the file beside it here
        records.append(ItemRecord(external_id=name, payload={}, file=str(path), gold={"boxes": boxes.get(image_id, [])},
                                  media={"image": local}))
    return records


def write_coco(out: TextIO, labels: list[str], items: Iterable[ExportItem], progress=None) -> int:
    """Images as they come, annotations kept aside in a temporary file and appended: one pass over
    the items, and memory that does not grow with the project."""
    category = {label: n for n, label in enumerate(labels, 1)}  # the project's order: ids stable across exports
    out.write('{"info": {"description": "Exported by Annotator"}, "licenses": [],\n"categories": ')
    out.write(json.dumps([{"id": i, "name": label, "supercategory": ""} for label, i in category.items()]))
    out.write(',\n"images": [')
    count, boxes = 0, 0
    with tempfile.TemporaryFile("w+", encoding="utf-8") as annotations:
        for count, item in enumerate(items, 1):
            width, height = item.size
            out.write(("," if count > 1 else "") + "\n" + json.dumps(
                {"id": count, "file_name": item.name, "width": width, "height": height}, ensure_ascii=False))
            for answer in item.answers:
                for box in answer.value.get("boxes", []):
                    boxes += 1
                    w, h = float(box["w"]), float(box["h"])
                    record = {"id": boxes, "image_id": count, "category_id": category[box["label"]],
                              "bbox": [float(box["x"]), float(box["y"]), w, h], "area": round(w * h, 3), "iscrowd": 0,
                              "segmentation": []}
                    if answer.annotator:
                        record["attributes"] = {"annotator": answer.annotator}
                    annotations.write(("," if boxes > 1 else "") + "\n" + json.dumps(record))
            if progress:
                progress(count, 0, item.name)
        out.write('],\n"annotations": [')
        annotations.seek(0)
        while chunk := annotations.read(1 << 20):
            out.write(chunk)
    out.write("]}\n")
    return count
