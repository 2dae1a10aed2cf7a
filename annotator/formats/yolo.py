"""YOLO: one text file of `class cx cy w h` lines (normalised to the image) per image, the
classes in `classes.txt` or a `data.yaml`. Images and labels in `images/` and `labels/` (each
possibly split into train/ val/ test/), or side by side. The writer makes the layout a trainer
reads: data.yaml, images/{train,val}/, labels/{train,val}/, split by a seeded fraction."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Iterable

from annotator.errors import BadInput
from annotator.formats import ItemRecord
from annotator.formats.base import ExportItem, ImportNotes, unused_stem
from annotator.media.images import IMAGE_EXTENSIONS, inspect_size_upright

SPLITS = ("train", "val", "test")


def looks_like_yolo(folder: Path) -> bool:
    return folder.is_dir() and ((folder / "classes.txt").is_file() or _yaml_file(folder) is not None)


def _yaml_file(folder: Path) -> Path | None:
    return next((folder / n for n in ("data.yaml", "dataset.yaml", "data.yml") if (folder / n).is_file()), None)


def _class_names(folder: Path, notes: ImportNotes) -> tuple[list[str], list[Path]]:
    """The class names, and the image folders the yaml names (empty: look for the usual layout)."""
    spec = _yaml_file(folder)
    if spec is None:
        names = [line.strip() for line in (folder / "classes.txt").read_text(encoding="utf-8-sig").splitlines()]
        return [n for n in names if n], []
    import yaml

    try:
        data = yaml.safe_load(spec.read_text(encoding="utf-8-sig")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise BadInput(str(spec), f"not valid YAML ({getattr(exc, 'problem', exc)})",
                       line=mark.line + 1 if mark else None) from None
    names = data.get("names")
    if isinstance(names, dict):
        names = [str(names[k]) for k in sorted(names, key=int)]
    if not isinstance(names, list) or not names:
        raise BadInput(str(spec), "needs the class names: names: [a, b] or names: {0: a, 1: b}", field="names")
    foreign = f"absolute paths from another machine in {spec.name}, looked for beside it"
    root = Path(str(data.get("path") or "."))
    elsewhere = None  # the dataset's folder on the machine that wrote the yaml
    if not root.is_absolute():
        root = spec.parent / root
    elif not root.is_dir():
        notes.count(foreign)
        root, elsewhere = spec.parent, root
    dirs = []
    for split in SPLITS:
        for entry in ([data[split]] if isinstance(data.get(split), str) else data.get(split) or []):
            where = Path(entry)
            if not where.is_absolute():
                where = root / where
            elif not where.exists():  # re-rooted here, under the yaml's own folder
                notes.count(foreign)
                where = spec.parent / (where.relative_to(elsewhere) if elsewhere and where.is_relative_to(elsewhere)
                                       else where.name)
            dirs.append(where)
    return [str(n) for n in names], dirs


def _label_file(image: Path) -> Path:
    """Where YOLO keeps an image's labels: the last `images` folder of its path becomes `labels`."""
    parts = list(image.parts)
    for n in range(len(parts) - 2, -1, -1):
        if parts[n] == "images":
            parts[n] = "labels"
            return Path(*parts).with_suffix(".txt")
    return image.with_suffix(".txt")


def read_yolo(folder: Path, labels: list[str], notes: ImportNotes) -> list[ItemRecord]:
    names, dirs = _class_names(folder, notes)
    unknown = [n for n in names if n not in labels]
    if unknown:
        raise BadInput(str(folder), f"the classes {', '.join(map(repr, unknown))} are not among the project's labels "
                       f"({', '.join(labels)}); add them to the project or fix the class list")
    roots = [d for d in dirs if d.is_dir()] or [folder / "images" if (folder / "images").is_dir() else folder]
    images = sorted({p for root in roots for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS})
    if not images:
        raise BadInput(str(folder), "no images found (looked in " + ", ".join(str(r) for r in roots) + ")")
    seen = Counter(image.name for image in images)
    records = []
    for image in images:
        label_file = _label_file(image)
        boxes = []
        if label_file.is_file():
            width, height = inspect_size_upright(image, 10**12)
            for n, line in enumerate(label_file.read_text(encoding="utf-8-sig").splitlines(), 1):
                if line.strip():
                    boxes.append(_box(line, names, width, height, label_file, n))
        else:
            notes.count("images with no label file (imported with no boxes)")
        # Its file name, as a folder import names an item; its path where two splits share a name.
        unique = seen[image.name] == 1 or not image.is_relative_to(folder)
        external_id = image.name if unique else image.relative_to(folder).as_posix()
        records.append(ItemRecord(external_id=external_id, payload={}, file=str(label_file), gold={"boxes": boxes},
                                  media={"image": image}))
    return records


def _box(line: str, names: list[str], width: int, height: int, path: Path, n: int) -> dict:
    fields = line.split()
    if len(fields) != 5:
        raise BadInput(str(path), f"expected `class cx cy w h`, found {len(fields)} field(s)", line=n)
    try:
        cls = int(fields[0])
        cx, cy, w, h = (float(v) for v in fields[1:])
    except ValueError:
        raise BadInput(str(path), "expected a class number and four numbers from 0 to 1", line=n) from None
    if not 0 <= cls < len(names):
        raise BadInput(str(path), f"class {cls} is not in the class list (0 to {len(names) - 1})", line=n)
    if not all(0 <= v <= 1.0001 for v in (cx, cy, w, h)) or w <= 0 or h <= 0:
        raise BadInput(str(path), "cx cy w h must be fractions of the image, from 0 to 1, with w and h above 0", line=n)
    return {"label": names[cls], "x": round((cx - w / 2) * width, 3), "y": round((cy - h / 2) * height, 3),
            "w": round(w * width, 3), "h": round(h * height, 3)}


def split_of(external_id: str, val_fraction: float, seed: int) -> str:
    """The same item falls in the same split in every export with the same seed."""
    digest = hashlib.sha256(f"{seed}:{external_id}".encode()).digest()
    return "val" if int.from_bytes(digest[:8], "big") / 2**64 < val_fraction else "train"


def write_yolo(out: Path, labels: list[str], items: Iterable[ExportItem], *, val_fraction: float = 0.2,
               seed: int = 0, progress=None) -> int:
    """Into `out`, a folder of its own; each image is linked where the file system allows, else copied."""
    index = {label: n for n, label in enumerate(labels)}
    for split in ("train", "val"):
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)
    count = 0
    for count, item in enumerate(items, 1):
        split = split_of(item.external_id, val_fraction, seed)
        stem = unused_stem(out / "labels" / split, Path(item.name).stem, ".txt")
        if item.media is not None:
            _link_or_copy(item.media, out / "images" / split / (stem + Path(item.name).suffix.lower()))
        width, height = item.size
        lines = []
        for answer in item.answers[:1]:  # one set of boxes per image: YOLO has no annotators
            for b in answer.value.get("boxes", []):
                x, y, w, h = float(b["x"]), float(b["y"]), float(b["w"]), float(b["h"])
                lines.append(f"{index[b['label']]} {(x + w / 2) / width:.6f} {(y + h / 2) / height:.6f} "
                             f"{w / width:.6f} {h / height:.6f}")
        (out / "labels" / split / f"{stem}.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        if progress:
            progress(count, 0, item.name)
    names = "\n".join(f"  {n}: {_yaml_text(label)}" for n, label in enumerate(labels))
    (out / "data.yaml").write_text(f"path: .\ntrain: images/train\nval: images/val\nnames:\n{names}\n", encoding="utf-8")
    return count


def _yaml_text(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML string, quoted and escaped


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
