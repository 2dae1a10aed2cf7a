"""The kinds' scorers and aggregators on real examples: VOC boxes and real spoken sentences."""

import json
import xml.etree.ElementTree as ET

import pytest

from annotator.tasks import registry
from tests.helpers import VOC_LABELS, shared

BOXES = registry.get("image_boxes")
TEXT = registry.get("text_categories")
SPEECH = registry.get("transcription")
BOX_CONFIG = {"labels": VOC_LABELS}


def voc_boxes(name: str) -> list[dict]:
    root = ET.parse(shared("voc-sample", f"{name}.xml")).getroot()
    out = []
    for obj in root.findall("object"):
        b = {k: float(obj.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")}
        out.append({"label": obj.findtext("name"), "x": b["xmin"], "y": b["ymin"], "w": b["xmax"] - b["xmin"], "h": b["ymax"] - b["ymin"]})
    return out


def shifted(boxes, dx):
    return [{**b, "x": b["x"] + dx} for b in boxes]


def test_identical_voc_boxes_score_one():
    gold = {"boxes": voc_boxes("2011_000003")}
    assert BOXES.score(BOX_CONFIG, gold, gold) == pytest.approx(1.0)


def test_shifted_boxes_score_their_iou_and_far_shifts_score_zero():
    boxes = voc_boxes("2011_000003")
    gold = {"boxes": boxes}
    # A 10-pixel shift of a 122-pixel-wide box keeps IoU = 112/132.
    one = boxes[0]
    expected_first = (one["w"] - 10) * one["h"] / ((one["w"] + 10) * one["h"])
    score = BOXES.score(BOX_CONFIG, {"boxes": shifted(boxes, 10)}, gold)
    assert 0.8 < score < 1.0
    assert score >= expected_first - 0.1
    assert BOXES.score(BOX_CONFIG, {"boxes": shifted(boxes, 400)}, gold) == 0.0


def test_missing_and_extra_boxes_are_penalised_by_the_larger_count():
    boxes = voc_boxes("2011_000003")
    gold = {"boxes": boxes}
    assert BOXES.score(BOX_CONFIG, {"boxes": boxes[:1]}, gold) == pytest.approx(0.5)
    extra = boxes + [{"label": "dog", "x": 1, "y": 1, "w": 20, "h": 20}]
    assert BOXES.score(BOX_CONFIG, {"boxes": extra}, gold) == pytest.approx(2 / 3)
    assert BOXES.score(BOX_CONFIG, {"boxes": []}, {"boxes": []}) == 1.0


def test_a_wrong_label_does_not_match():
    boxes = voc_boxes("2011_000003")
    relabelled = [{**b, "label": "dog"} for b in boxes]
    assert BOXES.score(BOX_CONFIG, {"boxes": relabelled}, {"boxes": boxes}) == 0.0


def test_box_fusion_keeps_majority_clusters_and_averages_them():
    boxes = voc_boxes("2011_000006")
    a, b = {"boxes": boxes}, {"boxes": shifted(boxes, 4)}
    c = {"boxes": boxes[:1] + [{"label": "dog", "x": 0, "y": 0, "w": 30, "h": 30}]}
    fused = BOXES.aggregate(BOX_CONFIG, [a, b, c])["boxes"]
    assert len(fused) == len(boxes)  # the lone dog has no majority
    assert fused[0]["x"] == pytest.approx(boxes[0]["x"] + 4 / 3, abs=0.01)
    assert BOXES.agreement(BOX_CONFIG, [a, a]) == pytest.approx(1.0)


def asr_transcripts() -> dict:
    return {k: v["words"] for k, v in json.loads(shared("audio", "sb_ASR_train.json").read_text()).items()}


def test_wer_ignores_case_punctuation_and_spacing_on_real_sentences():
    for reference in asr_transcripts().values():
        typed = reference.capitalize().replace(" ", "  ") + "."
        assert SPEECH.score({}, {"text": typed}, {"text": reference}) == 1.0


def test_wer_counts_real_word_errors_and_floors_at_zero():
    reference = "THE CHILD ALMOST HURT THE SMALL DOG"
    assert SPEECH.score({}, {"text": "The child almost hurt the small cat!"}, {"text": reference}) == pytest.approx(1 - 1 / 7)
    assert SPEECH.score({}, {"text": "the child hurt the dog"}, {"text": reference}) == pytest.approx(1 - 2 / 7)
    assert SPEECH.score({}, {"text": " ".join(["noise"] * 30)}, {"text": reference}) == 0.0
    assert SPEECH.score({}, {"text": ""}, {"text": ""}) == 1.0


def test_transcript_medoid_picks_the_answer_closest_to_the_others():
    answers = [{"text": "drop the tue when you add the figures"}, {"text": "drop the two when you add the figures"},
               {"text": "Drop the two, when you add the figures."}]
    assert SPEECH.aggregate({}, answers) in answers[1:]


def test_categories_exact_match_jaccard_and_majority():
    single = {"labels": ["a", "b", "c"]}
    assert TEXT.score(single, {"label": "a"}, {"label": "a"}) == 1.0
    assert TEXT.score(single, {"label": "b"}, {"label": "a"}) == 0.0
    multi = {"labels": ["a", "b", "c"], "multi": True}
    assert TEXT.score(multi, {"labels": ["a", "b"]}, {"labels": ["b", "c"]}) == pytest.approx(1 / 3)
    assert TEXT.aggregate(single, [{"label": "b"}, {"label": "a"}, {"label": "b"}]) == {"label": "b"}
    assert TEXT.aggregate(single, [{"label": "b"}, {"label": "a"}], weights=[0.2, 0.9]) == {"label": "a"}


@pytest.mark.parametrize(
    "kind,config,answer",
    [
        ("image_boxes", BOX_CONFIG, {"boxes": [{"label": "unicorn", "x": 1, "y": 1, "w": 5, "h": 5}]}),
        ("image_boxes", BOX_CONFIG, {"boxes": [{"label": "dog", "x": 1, "y": 1, "w": 0, "h": 5}]}),
        ("text_categories", {"labels": ["a"]}, {"label": "z"}),
        ("transcription", {}, {"text": 3}),
    ],
)
def test_kinds_refuse_bad_answers(kind, config, answer):
    from annotator.errors import InvalidAnswer

    with pytest.raises(InvalidAnswer):
        registry.get(kind).validate_answer(config, answer)


def test_config_validation_names_the_problem():
    from annotator.errors import ConfigError

    with pytest.raises(ConfigError, match="labels"):
        TEXT.validate_config({})
    with pytest.raises(ConfigError, match="repeat"):
        BOXES.validate_config({"labels": ["cat", "cat"]})
    with pytest.raises(ConfigError, match="Unknown task kind"):
        registry.get("polygons")
