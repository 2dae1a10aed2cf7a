"""Dawid–Skene on a case checked by hand, and against majority vote with a bad annotator majority."""

import numpy as np

from annotator.core.dawid_skene import dawid_skene


def test_hand_checked_case_trusts_the_reliable_annotator():
    # Three items, classes 0/1. Annotator 0 and 1 are always right on items 0..3 (calibration),
    # annotator 2 always answers the opposite. On item 4 the two reliable ones disagree with
    # each other? No: item 4 has only annotator 0 saying 1 and annotator 2 saying 0.
    obs = []
    truth = [0, 1, 0, 1]
    for i, t in enumerate(truth):
        obs += [(i, 0, t), (i, 1, t), (i, 2, 1 - t)]
    obs += [(4, 0, 1), (4, 2, 0)]
    i, w, l = map(np.array, zip(*obs))
    fit = dawid_skene(i, w, l, 5, 3, 2)
    assert list(fit.labels[:4]) == truth
    # Annotator 2 is a perfect inverter, so its "0" on item 4 is strong evidence for 1.
    assert fit.labels[4] == 1 and fit.confidence[4] > 0.95
    assert fit.confusion[2, 0, 1] > 0.9 and fit.confusion[0, 1, 1] > 0.9


def test_beats_majority_when_most_annotators_are_poor():
    rng = np.random.default_rng(3)
    n_items, k = 600, 4
    truth = rng.integers(0, k, n_items)
    accuracy = [0.95, 0.9, 0.35, 0.35, 0.35]  # two experts, three barely better than chance
    obs = []
    for item in range(n_items):
        for worker, acc in enumerate(accuracy):
            label = truth[item] if rng.random() < acc else rng.choice([c for c in range(k) if c != truth[item]])
            obs.append((item, worker, label))
    i, w, l = map(np.array, zip(*obs))
    fit = dawid_skene(i, w, l, n_items, len(accuracy), k)
    votes = np.zeros((n_items, k))
    np.add.at(votes, (i, l), 1)
    majority = votes.argmax(axis=1)
    ds_acc = (fit.labels == truth).mean()
    mv_acc = (majority == truth).mean()
    assert ds_acc > mv_acc + 0.05
    assert ds_acc > 0.9
