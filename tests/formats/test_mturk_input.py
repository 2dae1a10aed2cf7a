"""An MTurk batch input CSV as Mechanical Turk requesters have them: the real P.808 batch of
audio URLs, its clips served by a local web server in their place (the tests never reach the
internet), fetched into a real SeaweedFS; and its HIT layout as instructions, filled per item."""

from __future__ import annotations

import csv
import functools
import http.server
import threading
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from annotator.core.importing import import_items
from annotator.db.models import Item
from annotator.errors import BadInput
from annotator.formats.mturk import fill_template
from tests.helpers import make_project, shared

BATCH = "p808_row_input_librivox_publish_batch_10selected.csv"


@pytest.fixture
def served_batch(tmp_path):
    """The real batch with its hosts pointed at a local server that serves a real clip at each
    Q0 path."""
    root = tmp_path / "web"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root)))
    base = f"http://127.0.0.1:{server.server_port}"
    with open(shared("mturk", BATCH), encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    import soundfile

    speech, rate = soundfile.read(shared("audio", "sb_spk1_snt1.wav"))
    for n, row in enumerate(rows):
        for column, url in row.items():
            if url.startswith("https://"):
                row[column] = base + urlparse(url).path
        clip = root / urlparse(row["Q0"]).path.lstrip("/")
        clip.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(clip, speech[n * 100:], rate)  # the real speech, a little shorter each: distinct bytes
    batch = tmp_path / BATCH
    with batch.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield batch, base
    server.shutdown()
    thread.join()
    server.server_close()


def test_the_real_batch_input_comes_in_with_its_audio_fetched_and_its_columns_kept(db, operator, served_batch,
                                                                                   s3_bucket, desktop):
    batch, base = served_batch
    make_project(db, "p808", kind="transcription", media_store=f"s3://{s3_bucket}/p808")
    desktop("lead")
    with db.write() as s:
        report = import_items(s, operator, "p808", batch, mapping={"audio": "Q0"})
    assert report.added == 10 and report.format == "mturk-input"
    with db.read() as s:
        items = list(s.scalars(select(Item).order_by(Item.id)))
    assert all(i.payload["audio"].startswith(f"{base}/librivox/") and i.media_sha256 for i in items)
    assert len(items[0].payload["meta"]) == 22 and items[0].payload["meta"]["math"].endswith("/math1.wav")
    with db.write() as s:  # the same batch twice adds nothing
        assert import_items(s, operator, "p808", batch, mapping={"audio": "Q0"}).added == 0


def test_a_mapping_to_a_column_the_batch_lacks_names_the_columns_it_has(db, operator):
    make_project(db, "p808", kind="transcription")
    with pytest.raises(BadInput, match=r"line 1: no column 'clip_url' \(the columns: CMP1_A, CMP1_B"):
        with db.write() as s:
            import_items(s, operator, "p808", shared("mturk", BATCH), mapping={"audio": "clip_url"})
    with pytest.raises(BadInput, match=r"map the item's 'audio' to one of the columns: --map audio=COLUMN"):
        with db.write() as s:
            import_items(s, operator, "p808", shared("mturk", BATCH), fmt="mturk-input", mapping={"text": "Q0"})


def test_the_hit_layout_is_filled_with_each_items_values_escaped_and_the_pages_own_dollars_kept():
    layout = '<p>Rate <a href="${Q0}">this clip</a> (${TP_ANS})</p><script>$("#go").click(); ${unknown}</script>'
    payload = {"audio": "/cache/ab/cd/abcd", "meta": {"Q0": "http://x/a.wav?b=1&c=2", "TP_ANS": "<5>"}}
    assert fill_template(layout, payload) == (
        '<p>Rate <a href="http://x/a.wav?b=1&amp;c=2">this clip</a> (&lt;5&gt;)</p>'
        '<script>$("#go").click(); ${unknown}</script>')
