from annotator import config


def test_database_url_comes_from_option_then_environment_then_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("ANNOTATOR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ANNOTATOR_DATABASE_URL", raising=False)
    assert config.resolve_database_url() == f"sqlite:///{tmp_path / 'annotator.sqlite3'}"
    monkeypatch.setenv("ANNOTATOR_DATABASE_URL", "postgresql://team@db.example/annotations")
    assert config.resolve_database_url() == "postgresql+psycopg://team@db.example/annotations"
    assert config.resolve_database_url(str(tmp_path / "bundle.annot")) == f"sqlite:///{tmp_path / 'bundle.annot'}"
