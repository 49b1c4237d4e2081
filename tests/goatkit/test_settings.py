import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from goatkit.settings import load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in (
        "GOTRS_DATABASE_URL",
        "GOTRS_SECRET_KEY",
        "GOTRS_REDIS_URL",
        "GOTRS_MODULES_PATH",
        "GOTRS_CONFIG",
        "GOTRS_VAR_DIR",
        "GOTRS_LOG_LEVEL",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_embedded_sqlite_without_redis(tmp_path: Path) -> None:
    settings = load_settings(var_dir=tmp_path / "var")
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'gotrs.db'}"
    assert settings.redis_url == ""


def test_secret_key_is_generated_once_and_persisted(tmp_path: Path) -> None:
    first = load_settings(var_dir=tmp_path / "var").secret_key
    second = load_settings(var_dir=tmp_path / "var").secret_key
    assert first == second and len(first) >= 40
    key_file = tmp_path / "var" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_settings(var_dir=tmp_path / "other").secret_key != first


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOTRS_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("GOTRS_SECRET_KEY", "from-env")
    monkeypatch.setenv("GOTRS_MODULES_PATH", f"/a{__import__('os').pathsep}/b")
    settings = load_settings(var_dir=tmp_path)
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.secret_key == "from-env"
    assert settings.extra_module_dirs == [Path("/a"), Path("/b")]


def test_yaml_config_file_under_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "conf.yaml"
    config.write_text("redis_url: redis://127.0.0.1:1/0\nlog_format: text\nlog_level: debug\n")
    monkeypatch.setenv("GOTRS_CONFIG", str(config))
    monkeypatch.setenv("GOTRS_LOG_LEVEL", "warning")
    settings = load_settings(var_dir=tmp_path)
    assert settings.redis_url == "redis://127.0.0.1:1/0"
    assert settings.log_format == "text"
    assert settings.log_level == "WARNING"  # the environment wins over the file


def test_bad_values_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOTRS_LOG_FORMAT", "xml")
    with pytest.raises(ValidationError, match="log_format"):
        load_settings(var_dir=tmp_path)


def test_unknown_key_in_config_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "conf.yaml"
    config.write_text("databse_url: sqlite://\n")
    monkeypatch.setenv("GOTRS_CONFIG", str(config))
    with pytest.raises(ValidationError, match="databse_url"):
        load_settings(var_dir=tmp_path)


def test_missing_config_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOTRS_CONFIG", str(tmp_path / "nope.yaml"))
    with pytest.raises(FileNotFoundError, match=r"nope\.yaml"):
        load_settings(var_dir=tmp_path)
