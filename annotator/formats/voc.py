"""Pascal VOC: a folder of XML annotation files and their images (beside them, or in the
standard Annotations/ and JPEGImages/ folders). Boxes become x, y, w, h in image pixels."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from annotator.errors import BadInput
from annotator.formats import ItemRecord
from annotator.formats.base import ProjectLabels, unused_stem


def is_voc_folder(folder: Path) -> bool:
    return any(folder.glob("*.xml")) or (folder / "Annotations").is_dir()


def _find_image(xml_path: Path, filename: str | None) -> Path:
    candidates = []
    if filename:
        candidates += [xml_path.parent / filename, xml_path.parent.parent / "JPEGImages" / filename]
    for ext in (".jpg", ".jpeg", ".png"):
        candidates += [xml_path.with_suffix(ext), xml_path.parent.parent / "JPEGImages" / (xml_path.stem + ext)]
    for c in candidates:
        if c.is_file():
            return c
    return candidates[0]


def _number(obj: ET.Element, tag: str, xml_path: Path, n: int) -> float:
    node = obj.find(f"bndbox/{tag}")
    try:
        return float(node.text)  # type: ignore[union-attr, arg-type]
    except (AttributeError, TypeError, ValueError):
        raise BadInput(str(xml_path), f"object {n} needs a number in <bndbox><{tag}>", field=f"object[{n}].bndbox.{tag}") from None


def read_voc(folder: Path, labels: list[str]) -> list[ItemRecord]:
    xml_dir = folder / "Annotations" if (folder / "Annotations").is_dir() else folder
    files = sorted(xml_dir.glob("*.xml"))
    if not files:
        raise BadInput(str(folder), "no Pascal VOC .xml files found")
    known = ProjectLabels(labels)
    records = []
    for xml_path in files:
        try:
            root = ET.parse(xml_path).getroot()
        except ET.ParseError as exc:
            raise BadInput(str(xml_path), f"malformed XML ({exc})", line=exc.position[0]) from None
        if root.tag != "annotation":
            raise BadInput(str(xml_path), f"the root element is <{root.tag}>, not <annotation>")
        image = _find_image(xml_path, root.findtext("filename"))
        boxes = []
        for n, obj in enumerate(root.findall("object"), 1):
            label = (obj.findtext("name") or "").strip()
            known.require(label, xml_path, f"object[{n}].name", f"object {n} has the label {label!r}, which")
            xmin, ymin = _number(obj, "xmin", xml_path, n), _number(obj, "ymin", xml_path, n)
            xmax, ymax = _number(obj, "xmax", xml_path, n), _number(obj, "ymax", xml_path, n)
            if xmax <= xmin or ymax <= ymin:
                raise BadInput(str(xml_path), f"object {n} has an empty box ({xmin},{ymin})-({xmax},{ymax})", field=f"object[{n}].bndbox")
            boxes.append({"label": label, "x": xmin, "y": ymin, "w": round(xmax - xmin, 3), "h": round(ymax - ymin, 3)})
        records.append(
            ItemRecord(
                external_id=image.name,
                payload={},
                file=str(xml_path),
                gold={"boxes": boxes},
                media={"image": image},
            )
        )
    return records


def write_voc(out: Path, items, progress=None) -> int:
    """One Pascal VOC XML per image into the folder `out`, named as the image, with the upright
    image's size: the boxes are stored upright."""
    out.mkdir(parents=True)
    count = 0
    for count, item in enumerate(items, 1):
        root = ET.Element("annotation")
        ET.SubElement(root, "folder").text = "JPEGImages"
        ET.SubElement(root, "filename").text = item.name
        size = ET.SubElement(root, "size")
        for tag, value in zip(("width", "height", "depth"), (*item.size, 3)):
            ET.SubElement(size, tag).text = str(value)
        ET.SubElement(root, "segmented").text = "0"
        for answer in item.answers[:1]:  # one set of boxes per image: VOC names no annotators
            for b in answer.value.get("boxes", []):
                obj = ET.SubElement(root, "object")
                ET.SubElement(obj, "name").text = b["label"]
                for tag, value in (("pose", "Unspecified"), ("truncated", "0"), ("difficult", "0")):
                    ET.SubElement(obj, tag).text = value
                box = ET.SubElement(obj, "bndbox")
                x, y, w, h = float(b["x"]), float(b["y"]), float(b["w"]), float(b["h"])
                for tag, value in (("xmin", x), ("ymin", y), ("xmax", x + w), ("ymax", y + h)):
                    ET.SubElement(box, tag).text = f"{value:g}"
        ET.indent(root)
        target = out / f"{unused_stem(out, Path(item.name).stem, '.xml')}.xml"
        ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)
        if progress:
            progress(count, 0, item.name)
    return count
