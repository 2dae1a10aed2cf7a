"""Dawid–Skene (1979): estimate each item's true class and each annotator's confusion matrix
together, by expectation–maximisation. NumPy only; 100,000 answers take well under a second."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DawidSkeneResult:
    posteriors: np.ndarray  # items × classes
    confusion: np.ndarray  # annotators × true class × given class
    priors: np.ndarray  # classes
    iterations: int

    @property
    def labels(self) -> np.ndarray:
        return self.posteriors.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        return self.posteriors.max(axis=1)


def dawid_skene(
    items: np.ndarray, workers: np.ndarray, labels: np.ndarray, n_items: int, n_workers: int, n_classes: int,
    *, max_iter: int = 100, tol: float = 1e-6, smoothing: float = 0.01,
) -> DawidSkeneResult:
    """`items`, `workers`, `labels` are parallel integer arrays, one entry per answer."""
    items, workers, labels = (np.asarray(a, dtype=np.int64) for a in (items, workers, labels))
    # Start from the (soft) majority vote.
    post = np.zeros((n_items, n_classes))
    np.add.at(post, (items, labels), 1.0)
    empty = post.sum(axis=1) == 0
    post[empty] = 1.0
    post /= post.sum(axis=1, keepdims=True)
    wl = workers * n_classes + labels  # index of (worker, given label)
    iterations = 0
    for iterations in range(1, max_iter + 1):
        # M-step: class priors and confusion matrices from the current posteriors.
        priors = post.mean(axis=0) + 1e-12
        confusion = np.empty((n_workers, n_classes, n_classes))
        for k in range(n_classes):
            counts = np.bincount(wl, weights=post[items, k], minlength=n_workers * n_classes)
            confusion[:, k, :] = counts.reshape(n_workers, n_classes)
        confusion += smoothing
        confusion /= confusion.sum(axis=2, keepdims=True)
        # E-step: posteriors from priors and the answers each item got.
        log_conf = np.log(confusion)
        log_post = np.tile(np.log(priors), (n_items, 1))
        contributions = log_conf[workers, :, labels]  # answers × true class
        np.add.at(log_post, items, contributions)
        log_post -= log_post.max(axis=1, keepdims=True)
        new = np.exp(log_post)
        new /= new.sum(axis=1, keepdims=True)
        change = np.abs(new - post).max()
        post = new
        if change < tol:
            break
    return DawidSkeneResult(post, confusion, priors, iterations)
