"""`annotator import --format` and `annotator export --format coco|yolo` as a lead runs them: real
processes, a real database file, the real COCO and YOLO files of ../shared/data."""

from tests.e2e.test_cli import run
from tests.helpers import shared


def test_a_coco_file_in_with_its_polygons_noted_and_yolo_out_split_by_seed(tmp_path):
    db = tmp_path / "team.sqlite3"
    run("db", "upgrade", db=db)
    run("project", "create", "terrain", "--kind", "image_boxes", "--labels", "human,car,big_vehicle", db=db)
    out = run("import", "terrain", str(shared("coco", "sahi_terrain", "combined_coco.json")), "--gold", db=db).stdout
    assert "Imported 2 item(s) into terrain as gold" in out and "Note: 12 polygons (their boxes kept)." in out
    done = run("export", "terrain", str(tmp_path / "yolo"), "--format", "yolo", "--holds", "gold",
               "--val-fraction", "0.5", "--seed", "3", db=db).stdout
    assert "Exported 2 item(s)" in done
    labels = sorted(p.relative_to(tmp_path / "yolo").as_posix() for p in (tmp_path / "yolo" / "labels").rglob("*.txt"))
    again = run("export", "terrain", str(tmp_path / "yolo"), "--format", "yolo", "--holds", "gold",
                "--val-fraction", "0.5", "--seed", "3", db=db)
    assert again.returncode == 0  # the same seed: the same split, over the last export
    assert sorted(p.relative_to(tmp_path / "yolo").as_posix()
                  for p in (tmp_path / "yolo" / "labels").rglob("*.txt")) == labels
    human = (tmp_path / "yolo" / "labels").rglob("terrain1.txt").__next__().read_text().splitlines()
    assert len(human) == 7 and all(line.startswith("0 ") for line in human)


def test_an_unknown_format_and_a_coco_export_of_a_text_project_say_what_to_do(tmp_path):
    db = tmp_path / "team.sqlite3"
    run("db", "upgrade", db=db)
    run("project", "create", "intents", "--kind", "text_categories", "--labels", "a,b", db=db)
    refused = run("import", "intents", str(shared("text", "banking77_test.csv")), "--format", "xml", db=db, ok=False)
    assert refused.returncode != 0 and "unknown import format 'xml'" in refused.stdout + refused.stderr
    wrong = run("export", "intents", str(tmp_path / "x.json"), "--format", "coco", db=db, ok=False)
    assert wrong.returncode != 0 and "Export it as jsonl or csv" in wrong.stdout + wrong.stderr
    assert not (tmp_path / "x.json").exists() and not (tmp_path / "x.json.part").exists()


def test_an_mturk_batch_input_with_its_hit_layout_through_the_cli(tmp_path):
    import sqlite3

    db = tmp_path / "team.sqlite3"
    run("db", "upgrade", db=db)
    run("project", "create", "tweets", "--kind", "text_categories", "--labels", "complaint,praise", db=db)
    batch = tmp_path / "Batch_input.csv"
    batch.write_text("tweet_text,tweet_author\nrefund please,@ann\nlove it,@bob\n", encoding="utf-8")
    layout = tmp_path / "hit.html"
    layout.write_text("<p>By ${tweet_author}: ${tweet_text}</p>", encoding="utf-8")
    bad = run("import", "tweets", str(batch), "--map", "text", db=db, ok=False)
    assert bad.returncode != 0 and "--map takes field=column" in bad.stdout + bad.stderr
    out = run("import", "tweets", str(batch), "--map", "text=tweet_text", "--template", str(layout), db=db).stdout
    assert "Imported 2 item(s)" in out and "hit.html is tweets's instructions" in out
    with sqlite3.connect(db) as conn:
        (instructions,) = conn.execute("SELECT instructions FROM projects WHERE name = 'tweets'").fetchone()
    assert instructions == "<p>By ${tweet_author}: ${tweet_text}</p>"


def test_a_clip_with_its_subtitles_in_and_webvtt_out(tmp_path):
    import shutil

    db = tmp_path / "team.sqlite3"
    run("db", "upgrade", db=db)
    run("project", "create", "speech", "--kind", "transcription", db=db)
    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(shared("audio", "sb_spk1_snt1.wav"), clips)
    shutil.copy(shared("subtitles", "webvtt_sample.srt"), clips / "sb_spk1_snt1.srt")
    assert "Imported 1 item(s) into speech as gold" in run("import", "speech", str(clips), "--gold", db=db).stdout
    run("export", "speech", str(tmp_path / "vtt"), "--format", "vtt", "--holds", "gold", db=db)
    written = (tmp_path / "vtt" / "sb_spk1_snt1.vtt").read_text(encoding="utf-8")
    assert written.startswith("WEBVTT\n\n00:00:00.500 --> 00:00:07.000\nCaption text #1\n")


def test_label_studio_annotations_as_answers_through_the_cli(tmp_path):
    db = tmp_path / "team.sqlite3"
    run("db", "upgrade", db=db)
    run("project", "create", "tweets", "--kind", "text_categories", "--labels", "Positive,Negative", db=db)
    run("user", "add", "sergey", "--password-stdin", stdin="correct-horse-battery\n", db=db)
    source = str(shared("labelstudio", "lssdk_test_export_csv__csv_test_history.json"))
    wrong = run("import", "tweets", source, "--as", "answers", "--annotator", "sergei", db=db, ok=False)
    assert wrong.returncode != 0 and "--annotator takes SOURCE=USER" in wrong.stdout + wrong.stderr
    out = run("import", "tweets", source, "--as", "answers", "--annotator", "sergei@heartex.test=sergey", db=db).stdout
    assert "Imported 1 item(s) into tweets, with 1 answer(s) by their annotators for review" in out
    queue = run("review", "list", "tweets", db=db).stdout
    assert "sergey" in queue
