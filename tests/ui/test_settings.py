"""Settings written by an older app are brought up to this version, and nothing set is lost."""

from PySide6.QtCore import QSettings

from annotator.ui import settings as app_settings


def test_version_one_settings_come_over_into_their_groups(tmp_path):
    old = QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat)
    old.setValue("last_user", "ann")
    old.setValue("last_database", "postgresql://db.example/annotator")
    old.setValue("rejections_seen/ann", "2026-11-30T10:00:00+00:00")
    old.sync()
    upgraded = app_settings.upgrade(QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat))
    assert upgraded.value(app_settings.LAST_USER) == "ann"
    assert upgraded.value(app_settings.LAST_DATABASE) == "postgresql://db.example/annotator"
    assert upgraded.value(app_settings.rejections_seen("ann")) == "2026-11-30T10:00:00+00:00"
    assert int(upgraded.value("version")) == app_settings.VERSION
    assert not upgraded.contains("last_user") and not upgraded.contains("rejections_seen/ann")
    again = app_settings.upgrade(upgraded)  # upgraded once: a second start changes nothing
    assert sorted(again.allKeys()) == sorted(upgraded.allKeys())


def test_new_settings_start_at_this_version(tmp_path):
    fresh = app_settings.upgrade(QSettings(str(tmp_path / "new.ini"), QSettings.Format.IniFormat))
    assert int(fresh.value("version")) == app_settings.VERSION
