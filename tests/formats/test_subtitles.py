"""SRT and WebVTT: the real files of pysrt and webvtt-py with their quirks, a clip's subtitles as
its draft transcript or gold, and, on both backends, an export that reads back the same cues."""

from __future__ import annotations

import shutil
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from annotator.core.auth import Actor
from annotator.core.export_formats import export_as
from annotator.core.importing import import_items
from annotator.db.models import GoldAnswer, Item, Project
from annotator.errors import BadInput
from annotator.formats.base import ImportNotes
from annotator.formats.subtitles import read_cues
from tests.helpers import make_project, shared

CLIP = "sb_spk1_snt1.wav"  # 2.87 s


@pytest.mark.parametrize("name, cues, first, notes", [
    ("pysrt_utf-8.srt", 1332, "Downloaded From www.AllSubs.org", []),
    ("pysrt_bom-utf-8.srt", 7, "About 2 months ago I found myself on\nthe comment section of YouTube", []),
    ("pysrt_no-indexes.srt", 7, "About 2 months ago I found myself on\nthe comment section of YouTube", []),
    ("pysrt_capability_tester.srt", 37, "Don't show this text it may be used to insert hidden data",
     ["2 zero-length cues (kept)"]),
    ("webvtt_captions_with_bom.vtt", 4, "Caption text #1", []),
    ("webvtt_comments.vtt", 3, "- Ta en kopp varmt te.\n- Det är inte varmt.", []),
    ("webvtt_styles.vtt", 1, "- Hello world.", []),
    ("webvtt_youtube_dl.vtt", 4, "yeah", []),  # cues with no blank line between, word timestamps, styles
])
def test_real_subtitle_files_read_with_their_quirks(name, cues, first, notes):
    found = ImportNotes()
    read = read_cues(shared("subtitles", name), found)
    assert len(read) == cues and read[0].text == first and found.lines() == notes
    # Formatting tags and word timestamps are not words; a lone "<" in the text is (the tester has one).
    assert not any(tag in c.text for c in read for tag in ("<b>", "<i>", "<font", "<c.", "<c>", "<00:"))


def test_a_windows_1252_file_is_read_and_says_so(tmp_path):
    legacy = tmp_path / "old.srt"
    legacy.write_bytes("1\r\n00:00:01,000 --> 00:00:02,000\r\nUn café, s'il vous plaît\r\n".encode("cp1252"))
    notes = ImportNotes()
    (cue,) = read_cues(legacy, notes)
    assert cue.text == "Un café, s'il vous plaît" and notes.lines() == [
        "1 subtitle file(s) not in UTF-8, read as Windows-1252 (old.srt)"]


def test_a_cue_that_ends_before_it_starts_is_refused_by_line(tmp_path):
    bad = tmp_path / "bad.vtt"
    bad.write_text("WEBVTT\n\n00:00:05.000 --> 00:00:04.000\nbackwards\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"bad.vtt, line 3: the cue ends \(4.000 s\) before it starts"):
        read_cues(bad, ImportNotes())


def test_a_clips_subtitles_come_in_as_its_draft_or_as_gold(db, operator, tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(shared("audio", CLIP), clips / CLIP)
    shutil.copy(shared("subtitles", "webvtt_sample.vtt"), clips / "sb_spk1_snt1.vtt")
    make_project(db, "speech", kind="transcription")
    with db.write() as s:
        assert import_items(s, operator, "speech", clips).added == 1
    with db.read() as s:
        draft = s.scalar(select(Item.prediction))
    assert draft["text"].startswith("Caption text #1\nCaption text #2") and len(draft["segments"]) == 16
    assert draft["segments"][0] == {"start": 0.5, "end": 7.0, "text": "Caption text #1"}

    make_project(db, "gold", kind="transcription")
    with db.write() as s:  # the subtitle file alone: its clip is found beside it
        assert import_items(s, operator, "gold", clips / "sb_spk1_snt1.vtt", gold=True).added == 1
    with db.read() as s:
        assert s.scalar(select(GoldAnswer.answer))["segments"] == draft["segments"]


line_text = st.text(st.characters(blacklist_characters="<>\r\n\x00", blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                    min_size=1, max_size=30).map(str.strip).filter(bool).filter(lambda t: "-->" not in t)


@st.composite
def segments(draw):
    times = sorted(draw(st.lists(st.integers(0, 2_800), min_size=2, max_size=8, unique=True)))
    pairs = list(zip(times[::2], times[1::2]))
    return [{"start": a / 1000, "end": b / 1000, "text": "\n".join(draw(st.lists(line_text, min_size=1, max_size=2)))}
            for a, b in pairs]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cues=segments(), fmt=st.sampled_from(["srt", "vtt"]))
def test_an_export_reads_back_the_same_cues(db, tmp_path, cues, fmt):
    run = tmp_path / uuid.uuid4().hex[:8]
    (run / "clips").mkdir(parents=True)
    shutil.copy(shared("audio", CLIP), run / "clips" / CLIP)
    (run / "clips" / "gold.jsonl").write_text(
        '{"id": "c1", "audio": "%s", "answer": %s}\n' % (run / "clips" / CLIP,
                                                        __import__("json").dumps({"text": "x", "segments": cues})))
    original, copy = f"p-{run.name}", f"copy-{run.name}"
    operator = Actor.local_operator()
    make_project(db, original, kind="transcription")
    with db.write() as s:
        import_items(s, operator, original, run / "clips" / "gold.jsonl", gold=True)
    assert export_as(db, operator, original, run / "out", fmt, holds="gold") == 1
    shutil.copy(shared("audio", CLIP), run / "out" / CLIP)  # the clip beside its subtitles
    make_project(db, copy, kind="transcription")
    with db.write() as s:
        import_items(s, operator, copy, run / "out", gold=True)
    with db.read() as s:
        back = s.scalar(select(GoldAnswer.answer).join(Item, Item.id == GoldAnswer.item_id)
                        .join(Project, Project.id == Item.project_id).where(Project.name == copy))
    assert [(round(c["start"], 3), round(c["end"], 3), c["text"]) for c in back["segments"]] == [
        (c["start"], c["end"], c["text"]) for c in cues]
