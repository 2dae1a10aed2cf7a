"""This desktop's settings (QSettings), with a version and a migration step for each change of
their keys, as Orange3 keeps its widgets' settings: a newer app reads what an older one wrote,
and nothing a person set is lost on an upgrade."""

from __future__ import annotations

from PySide6.QtCore import QSettings

VERSION = 2
LAST_USER = "login/last_user"
LAST_DATABASE = "login/last_database"


def rejections_seen(user: str) -> str:
    """When this person last read the feedback on their rejected work."""
    return f"feedback/{user}/rejections_seen"


def _to_2(settings: QSettings) -> None:
    """Version 1 kept its keys flat: the log-in's and the feedback's go into groups of their own."""
    for old, new in (("last_user", LAST_USER), ("last_database", LAST_DATABASE)):
        if settings.contains(old):
            settings.setValue(new, settings.value(old))
            settings.remove(old)
    settings.beginGroup("rejections_seen")
    seen = {user: settings.value(user) for user in settings.childKeys()}
    settings.endGroup()
    settings.remove("rejections_seen")
    for user, when in seen.items():
        settings.setValue(rejections_seen(user), when)


STEPS = {2: _to_2}  # the step that brings settings of version n - 1 to n


def upgrade(settings: QSettings) -> QSettings:
    """Bring settings written by an older version up to this one, step by step."""
    if not settings.allKeys():
        settings.setValue("version", VERSION)  # new: nothing to bring over
        return settings
    version = int(settings.value("version", 1))
    for step in range(version + 1, VERSION + 1):
        STEPS[step](settings)
        settings.setValue("version", step)
    settings.sync()
    return settings
