"""Bad input found by fault tests: each gets one clear error naming the line and field, on both
backends, and leaves the database as it was. Then every importer is fuzzed: whatever the bytes,
the import either succeeds or raises BadInput, and a refused import changes nothing."""

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from annotator.core.importing import import_items
from annotator.core.predictions import import_predictions
from annotator.db.models import Project
from annotator.errors import BadInput
from tests.helpers import counts, make_project


def refused(db, operator, path, project="p", **kw) -> str:
    before = counts(db)
    with pytest.raises(BadInput) as caught, db.write() as s:
        import_items(s, operator, project, path, **kw)
    assert counts(db) == before
    return str(caught.value)


@pytest.mark.parametrize("suffix, body", [
    (".csv", "id,text\n1,a NUL \x00 here\n2,fine\n"),
    (".jsonl", '{"id": "1", "text": "fine"}\n{"id": "2", "text": "a NUL \\u0000 here"}\n'),
])
def test_a_nul_character_is_refused_with_its_line_and_field(db, operator, tmp_path, suffix, body):
    make_project(db, "p")
    path = tmp_path / f"items{suffix}"
    path.write_text(body, encoding="utf-8")
    assert refused(db, operator, path) == f"{path}, line 2, field 'text': contains a NUL character (byte 0), " \
        "which a text field cannot hold; remove it and import again"


def test_a_nul_character_deep_in_a_gold_answer_is_named(db, operator, tmp_path):
    make_project(db, "p")
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"id": "g", "text": "t", "answer": {"label": "a\x00"}}) + "\n", encoding="utf-8")
    assert "line 1, field 'answer.label': contains a NUL character" in refused(db, operator, path, gold=True)


def test_a_header_that_repeats_a_column_is_refused(db, operator, tmp_path):
    make_project(db, "p")
    path = tmp_path / "twice.csv"
    path.write_text("id,text,text\n1,first,second\n", encoding="utf-8")
    assert refused(db, operator, path) == f"{path}, line 1: the header repeats the column 'text'; each column " \
        "must appear once, or one of them would be dropped"


def test_an_unclosed_quote_is_reported_on_the_line_where_it_opens(db, operator, tmp_path):
    make_project(db, "p")
    path = tmp_path / "quote.csv"
    path.write_text('id,text\n1,"never closed\n2,more\n3,and more\n', encoding="utf-8")
    assert refused(db, operator, path) == f"{path}, line 2: a quoted field opens on this line and is never closed"


def test_a_row_after_a_field_that_spans_lines_is_named_by_its_own_first_line(db, operator, tmp_path):
    make_project(db, "p")
    path = tmp_path / "span.csv"
    path.write_text('id,text,priority\n1,"two\nlines",0\n2,next,high\n', encoding="utf-8")
    assert refused(db, operator, path) == f"{path}, line 4, field 'priority': priority must be a whole number, not 'high'"


# ---- fuzzing ------------------------------------------------------------------------------

HEADERS = ["id", "text", "label", "priority", "image", "extra", "", "text"]
# The characters that broke imports before (NUL, quotes, a line separator) drawn often, not one
# time in a hundred as a plain alphabet would.
CELL = st.text(alphabet=st.sampled_from(list(string.printable) + ["\x00", "\"", "é", "£", "\u2028"] * 12), max_size=12)


@st.composite
def csv_bytes(draw) -> bytes:
    """Mostly near-valid files (a 'text' column, a few rows), where the subtle faults hide."""
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=0, max_size=3))
    if draw(st.integers(0, 4)):
        header.insert(draw(st.integers(0, len(header))), "text")
    rows = draw(st.lists(st.lists(CELL, min_size=len(header), max_size=len(header) + draw(st.integers(0, 1))),
                         max_size=4))
    quote = draw(st.booleans())
    lines = [",".join(header)] + [",".join((f'"{c}"' if quote else c) for c in row) for row in rows]
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))
    raw = text.encode("utf-8")
    return raw if draw(st.integers(0, 5)) else raw + draw(st.binary(max_size=6))


JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2) | CELL,
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(CELL, inner, max_size=3),
                          max_leaves=6)


@st.composite
def jsonl_bytes(draw) -> bytes:
    keys = st.sampled_from(["id", "answer", "prediction", "confidence", "priority", "data", "external_id", "meta"])
    objects = []
    for _ in range(draw(st.integers(0, 4))):
        obj = draw(st.dictionaries(keys, JSON_VALUE, max_size=3))
        if draw(st.integers(0, 4)):
            obj["text"] = draw(CELL)
            obj.setdefault("external_id", draw(CELL))
        objects.append(obj)
    lines = [json.dumps(o) for o in objects]
    if not draw(st.integers(0, 5)):
        lines.append(draw(st.text(max_size=10)))  # not JSON, or JSON that is not an object
    return "\n".join(lines).encode("utf-8", "surrogatepass")


FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def project_once(db, name: str, kind: str = "text_categories") -> None:
    """Hypothesis runs a test's body many times on one database: make its project the first time."""
    with db.read() as s:
        if s.scalar(select(Project.id).where(Project.name == name)) is None:
            make_project(db, name, kind=kind)


def import_changes_nothing_unless_it_succeeds(db, operator, path, raw: bytes, importer) -> None:
    path.write_bytes(raw)
    before = counts(db)
    try:
        with db.write() as s:
            importer(s)
    except BadInput as exc:
        assert str(path.parent) in str(exc)  # the file, or the folder it is in
        assert counts(db) == before
    except Exception as exc:  # anything else is a bug: a traceback instead of a message
        pytest.fail(f"{type(exc).__name__} instead of BadInput for {raw!r}: {exc}")


@pytest.mark.parametrize("suffix, files", [(".csv", csv_bytes()), (".jsonl", jsonl_bytes())])
@FUZZ
@given(data=st.data(), gold=st.booleans())
def test_fuzzed_csv_and_jsonl_import_or_are_refused_clearly(db, operator, tmp_path, suffix, files, data, gold):
    project_once(db, "fuzz")
    path = tmp_path / f"fuzz{suffix}"
    import_changes_nothing_unless_it_succeeds(db, operator, path, data.draw(files),
                                              lambda s: import_items(s, operator, "fuzz", path, gold=gold))


@FUZZ
@given(raw=jsonl_bytes())
def test_fuzzed_predictions_import_or_are_refused_clearly(db, operator, tmp_path, raw):
    project_once(db, "fuzz")
    (tmp_path / "items.jsonl").write_text('{"id": "1", "text": "t"}\n', encoding="utf-8")
    with db.write() as s:  # the item the predictions are for (a second import adds nothing)
        import_items(s, operator, "fuzz", tmp_path / "items.jsonl")
    import_changes_nothing_unless_it_succeeds(
        db, operator, tmp_path / "preds.jsonl", raw, lambda s: import_predictions(s, operator, "fuzz", tmp_path / "preds.jsonl"))


@FUZZ
@given(raw=st.binary(max_size=64), name=st.sampled_from(["a.jpg", "b.png", "c.wav", "d.flac", "e.xml"]))
def test_fuzzed_media_folders_import_or_are_refused_clearly(db, operator, tmp_path, raw, name):
    folder = tmp_path / "media"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    project_once(db, "photos", kind="image_boxes")
    project_once(db, "clips", kind="transcription")
    project = "clips" if name.endswith((".wav", ".flac")) else "photos"
    import_changes_nothing_unless_it_succeeds(
        db, operator, folder / name, raw, lambda s: import_items(s, operator, project, folder, gold=name.endswith(".xml")))
