"""Importing real files from ../shared/data; every bad input gets one clear error and changes nothing."""

import json
import shutil

import numpy as np
import pytest
import soundfile
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import undefer

from annotator.core.importing import import_items
from annotator.db.models import GoldAnswer, Item
from annotator.errors import BadInput
from tests.helpers import counts, make_project, shared


def items(db, project_id=None):
    with db.read() as s:
        q = select(Item).options(undefer(Item.is_gold)).order_by(Item.id)  # deferred: annotators may not read it
        return s.scalars(q if project_id is None else q.where(Item.project_id == project_id)).all()


def test_voc_sample_imports_as_three_gold_items_with_their_boxes(db, operator):
    pid = make_project(db, "voc", kind="image_boxes")
    with db.write() as s:
        report = import_items(s, operator, "voc", shared("voc-sample"), gold=True)
    assert (report.added, report.gold) == (3, 3)
    rows = items(db, pid)
    assert [r.external_id for r in rows] == ["2011_000003.jpg", "2011_000006.jpg", "2011_000025.jpg"]
    assert all(r.is_gold and len(r.media_sha256) == 64 for r in rows)
    with db.read() as s:
        gold = {g.item_id: g.answer for g in s.scalars(select(GoldAnswer))}
    first = gold[rows[0].id]["boxes"]
    assert first[0] == {"label": "person", "x": 191.0, "y": pytest.approx(107.369, abs=1e-3), "w": 122.0, "h": 222.0}
    assert len(first) == 2


def test_importing_the_same_source_twice_adds_nothing(db, operator):
    make_project(db, "voc", kind="image_boxes")
    for expected in (3, 0):
        with db.write() as s:
            assert import_items(s, operator, "voc", shared("voc-sample"), gold=True).added == expected
    assert len(items(db)) == 3


def test_banking77_csv_with_quoted_commas_and_non_ascii(db, operator):
    labels = json.loads(shared("text", "banking77_categories.json").read_text(encoding="utf-8"))
    make_project(db, "bank", config={"labels": labels})
    with db.write() as s:
        report = import_items(s, operator, "bank", shared("text", "banking77_test.csv"), gold=True)
    assert report.read == 3080
    # BANKING77 repeats some texts verbatim; those are the same item and are imported once.
    assert report.added + report.already_present == 3080
    texts = [i.payload["text"] for i in items(db)]
    assert any("£" in t or "€" in t for t in texts)
    assert any("," in t for t in texts)
    # Kept exactly as given, the three that open with a line break included.
    assert "\n\nWhat businesses accept this card?" in texts and "\nWhich ATMs accept this card?" in texts


def test_a_folder_of_images_records_each_files_sha256(db, operator, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("hopper.jpg", "hopper_orientation_6.jpg", "transparent.png", "16bit.cropped.tif"):
        shutil.copy(shared("images", name), folder / name)
    make_project(db, "photos", kind="image_boxes", config={"labels": ["face"]})
    with db.write() as s:
        assert import_items(s, operator, "photos", folder).added == 4
    import hashlib

    by_id = {i.external_id: i for i in items(db)}
    assert by_id["hopper.jpg"].media_sha256 == hashlib.sha256((folder / "hopper.jpg").read_bytes()).hexdigest()
    assert by_id["hopper.jpg"].payload["image"] == str((folder / "hopper.jpg").resolve())


def test_a_folder_of_audio_and_a_jsonl_of_transcripts(db, operator, tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    for name in ("sb_spk1_snt1.wav", "sr_audio-stereo-16-bit-44100Hz.flac"):
        shutil.copy(shared("audio", name), folder / name)
    make_project(db, "speech", kind="transcription", media_root=str(folder))
    with db.write() as s:
        assert import_items(s, operator, "speech", folder).added == 2
    assert {i.payload["audio"] for i in items(db)} == {"sb_spk1_snt1.wav", "sr_audio-stereo-16-bit-44100Hz.flac"}

    audio_dir = shared("audio")
    lines = [json.dumps({"id": k, "audio": str(audio_dir / f"sb_{k}.wav"), "answer": {"text": v["words"]}})
             for k, v in json.loads(shared("audio", "sb_ASR_train.json").read_text()).items()
             if (audio_dir / f"sb_{k}.wav").exists()]  # the JSON lists more clips than the sample holds
    (tmp_path / "gold.jsonl").write_text("\n".join(lines) + "\n")
    make_project(db, "speech-gold", kind="transcription")
    with db.write() as s:
        assert import_items(s, operator, "speech-gold", tmp_path / "gold.jsonl", gold=True).added == 3


# ---- bad input: one clear error naming the file and the line, and nothing changed ------------


def assert_refused(db, operator, project, source, *, match, gold=False):
    before = counts(db)
    with pytest.raises(BadInput, match=match) as info:
        with db.write() as s:
            import_items(s, operator, project, source, gold=gold)
    assert counts(db) == before, "a failed import must leave the database unchanged"
    return str(info.value)


def _folder_with(tmp_path, *files):
    folder = tmp_path / "in"
    folder.mkdir()
    for f in files:
        shutil.copy(f, folder / f.name)
    return folder


def test_truncated_jpeg_is_refused_by_name(db, operator, tmp_path):
    make_project(db, "p", kind="image_boxes", config={"labels": ["x"]})
    folder = _folder_with(tmp_path, shared("images", "hopper.jpg"), shared("images", "truncated_jpeg.jpg"))
    message = assert_refused(db, operator, "p", folder, match="truncated")
    assert "truncated_jpeg.jpg" in message


def test_corrupt_image_is_refused(db, operator, tmp_path):
    make_project(db, "p", kind="image_boxes", config={"labels": ["x"]})
    folder = _folder_with(tmp_path, shared("images", "hopper.jpg"))
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)
    message = assert_refused(db, operator, "p", folder, match="broken.png")
    assert "corrupt" in message


def test_decompression_bomb_is_refused_before_decoding(db, operator, tmp_path):
    make_project(db, "p", kind="image_boxes", config={"labels": ["x"]}, pixel_limit=50_000_000)
    folder = tmp_path / "bomb"
    folder.mkdir()
    Image.new("1", (12_000, 12_000)).save(folder / "bomb.png")  # 144 MP in a few kB
    assert (folder / "bomb.png").stat().st_size < 100_000
    message = assert_refused(db, operator, "p", folder, match="decompression bomb")
    assert "bomb.png" in message and "144,000,000" in message


def test_missing_file_named_with_its_csv_line(db, operator, tmp_path):
    make_project(db, "p", kind="image_boxes", config={"labels": ["x"]})
    csv_file = tmp_path / "list.csv"
    csv_file.write_text(f"image\n{shared('images', 'hopper.jpg')}\nnot/there.jpg\n", encoding="utf-8")
    message = assert_refused(db, operator, "p", csv_file, match="file not found")
    assert "list.csv, line 3, field 'image'" in message and "not/there.jpg" in message


def test_non_utf8_csv_names_the_line(db, operator, tmp_path):
    make_project(db, "p")
    csv_file = tmp_path / "latin1.csv"
    csv_file.write_bytes("text,label\nhello,a\ncaf\u00e9 au lait,b\n".encode("latin-1"))
    message = assert_refused(db, operator, "p", csv_file, match="not valid UTF-8")
    assert "latin1.csv, line 3" in message and "0xe9" in message


def test_malformed_json_line_is_named(db, operator, tmp_path):
    make_project(db, "p")
    f = tmp_path / "items.jsonl"
    f.write_text('{"text": "fine"}\n{"text": "also fine"}\n{"text": "broken",, }\n', encoding="utf-8")
    message = assert_refused(db, operator, "p", f, match="invalid JSON")
    assert "items.jsonl, line 3" in message


def test_empty_audio_is_refused(db, operator, tmp_path):
    make_project(db, "p", kind="transcription")
    folder = _folder_with(tmp_path, shared("audio", "sb_spk1_snt1.wav"))
    soundfile.write(folder / "silence.wav", np.zeros((0,), dtype="int16"), 16000)
    assert_refused(db, operator, "p", folder, match=r"silence\.wav: the audio file is empty")


def test_unreadable_audio_is_refused(db, operator, tmp_path):
    make_project(db, "p", kind="transcription")
    folder = _folder_with(tmp_path, shared("audio", "sb_spk1_snt1.wav"))
    (folder / "noise.wav").write_bytes(b"RIFF....WAVEfmt nonsense")
    assert_refused(db, operator, "p", folder, match=r"noise\.wav: not a readable audio file")


def test_unknown_label_in_voc_xml_names_the_file_and_object(db, operator, tmp_path):
    make_project(db, "voc", kind="image_boxes")
    folder = tmp_path / "voc"
    shutil.copytree(shared("voc-sample"), folder)
    xml = folder / "2011_000025.xml"
    xml.write_text(xml.read_text().replace("<name>bus</name>", "<name>spaceship</name>", 1))
    message = assert_refused(db, operator, "voc", folder, match="spaceship", gold=True)
    assert "2011_000025.xml" in message and "object" in message


def test_an_unknown_label_in_a_gold_csv_is_named_with_its_line(db, operator, tmp_path):
    make_project(db, "p")
    f = tmp_path / "gold.csv"
    f.write_text("text,label\none,a\ntwo,zebra\n", encoding="utf-8")
    message = assert_refused(db, operator, "p", f, match="zebra", gold=True)
    assert "gold.csv, line 3" in message


def test_a_csv_imports_as_written_blank_lines_skipped_short_rows_filled(db, operator, tmp_path):
    """The plain import writes at the driver's speed (db/bulk.py): what it stores must read back
    as the ORM's own insert would have stored it, on both backends."""
    from datetime import datetime, timedelta, timezone

    make_project(db, "p", overlap=2)
    f = tmp_path / "items.csv"
    f.write_text("id,text,source,priority\n1,  first  ,mail,3\n\n2,second\n3,third,,\n", encoding="utf-8")
    with db.write() as s:
        assert import_items(s, operator, "p", f).added == 3
    got = items(db)
    assert [(i.external_id, i.payload, i.priority) for i in got] == [
        ("1", {"text": "  first  ", "meta": {"source": "mail"}}, 3), ("2", {"text": "second"}, 0),
        ("3", {"text": "third"}, 0)]
    now = datetime.now(timezone.utc)
    for item in got:
        assert (item.open_slots, item.is_gold, item.done_by_model, item.version) == (2, False, False, 1)
        assert (item.prediction, item.confidence, item.media_sha256, item.width) == (None, -1.0, None, None)
        assert now - timedelta(minutes=1) < item.created_at <= now


def test_a_csv_with_a_ragged_row_is_refused(db, operator, tmp_path):
    make_project(db, "p")
    f = tmp_path / "ragged.csv"
    f.write_text("text,label\none,a\ntwo,b,extra\n", encoding="utf-8")
    assert_refused(db, operator, "p", f, match="ragged.csv, line 3: 3 fields, but the header has 2")
