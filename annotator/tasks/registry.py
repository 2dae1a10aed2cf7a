"""The registry of task kinds: the built-ins, registered explicitly (PyInstaller drops
entry-point metadata), then third-party kinds from the `annotator.tasks` entry-point group.
A plugin that fails to load is logged and skipped; it never stops the app."""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from annotator.errors import ConfigError
from annotator.tasks.base import TaskKind

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "annotator.tasks"

_kinds: dict[str, TaskKind] | None = None
# Plugins that failed to load, by entry-point name, with the reason: shown by `annotator kinds`.
load_errors: dict[str, str] = {}


def _builtins() -> list[TaskKind]:
    from annotator.tasks.image_boxes import ImageBoxes
    from annotator.tasks.text_categories import TextCategories
    from annotator.tasks.transcription import Transcription

    return [ImageBoxes(), TextCategories(), Transcription()]


def _load() -> dict[str, TaskKind]:
    kinds = {kind.name: kind for kind in _builtins()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
            kind = obj() if isinstance(obj, type) else obj
            if not isinstance(kind, TaskKind):
                raise TypeError(f"{ep.value} is not a TaskKind (it lacks part of the protocol)")
            if kind.name in kinds:
                raise ValueError(f"the kind name {kind.name!r} is already taken")
        except Exception as exc:  # a broken plugin must never take the app down
            load_errors[ep.name] = f"{type(exc).__name__}: {exc}"
            log.warning("Skipping task plugin %r (%s): %s", ep.name, ep.value, exc)
            continue
        kinds[kind.name] = kind
    return kinds


def all_kinds() -> dict[str, TaskKind]:
    global _kinds
    if _kinds is None:
        _kinds = _load()
    return _kinds


def get(name: str) -> TaskKind:
    kinds = all_kinds()
    try:
        return kinds[name]
    except KeyError:
        raise ConfigError(f"Unknown task kind {name!r}; the kinds are: {', '.join(sorted(kinds))}.") from None


def names() -> list[str]:
    return sorted(all_kinds())
