from pathlib import Path

import pytest

from burnout_lib.config import display_url, load_settings, parse_db_url
from burnout_lib.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BURNOUT_DB_URL", "BURNOUT_DATA_DIR", "HUME_API_KEY", "BURNOUT_MIN_GROUP_SIZE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_sqlite_in_data_folder() -> None:
    settings = load_settings()
    assert settings.data_dir == Path("data")
    assert settings.db_url == "sqlite:///data/burnout.db"
    assert settings.min_group_size == 5
    assert settings.person_dir("calm-heron-42") == Path("data/people/calm-heron-42")


def test_environment_then_arguments_take_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BURNOUT_DB_URL", "postgresql://u@db.example/burnout")
    monkeypatch.setenv("BURNOUT_DATA_DIR", "/srv/burnout")
    settings = load_settings()
    assert settings.db_url == "postgresql://u@db.example/burnout"
    assert settings.data_dir == Path("/srv/burnout")
    explicit = load_settings(db="sqlite:///other.db", data_dir="elsewhere")
    assert explicit.db_url == "sqlite:///other.db"
    assert explicit.data_dir == Path("elsewhere")


def test_default_database_follows_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BURNOUT_DATA_DIR", "site-b")
    assert load_settings().db_url == "sqlite:///site-b/burnout.db"


def test_dotenv_file_is_read_but_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "BURNOUT_DATA_DIR=from-dotenv\nHUME_API_KEY=dotenv-key-123\nBURNOUT_MIN_GROUP_SIZE=7\n"
    )
    monkeypatch.setenv("BURNOUT_MIN_GROUP_SIZE", "6")
    try:
        settings = load_settings()
        assert settings.data_dir == Path("from-dotenv")
        assert settings.hume_api_key == "dotenv-key-123"
        assert settings.min_group_size == 6
    finally:
        for name in ("BURNOUT_DATA_DIR", "HUME_API_KEY"):
            monkeypatch.delenv(name, raising=False)


def test_api_key_never_shown_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUME_API_KEY", "super-secret-value")
    assert "super-secret-value" not in repr(load_settings())


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///data/x.db",
        "postgresql://u:p@localhost:5432/burnout",
        "postgresql+psycopg2://u@localhost/burnout",
        "cockroachdb://root@crdb.internal:26257/burnout?sslmode=verify-full",
    ],
)
def test_supported_urls(url: str) -> None:
    assert parse_db_url(url).get_backend_name() in {"sqlite", "postgresql", "cockroachdb"}


@pytest.mark.parametrize(
    ("url", "message"),
    [("mysql://u@h/db", "not supported"), ("not a url", "not a valid URL"), ("::::", "valid")],
)
def test_bad_urls_are_named(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(db=url)
    assert url.split(":")[0] in str(caught.value)


def test_privacy_floor_cannot_go_below_three(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BURNOUT_MIN_GROUP_SIZE", "2")
    with pytest.raises(ConfigError, match="privacy floor"):
        load_settings()


@pytest.mark.parametrize("value", ["1.5", "high"])
def test_high_risk_precision_must_be_a_fraction(monkeypatch: pytest.MonkeyPatch, value) -> None:
    monkeypatch.setenv("BURNOUT_HIGH_PRECISION", value)
    with pytest.raises(ConfigError, match="BURNOUT_HIGH_PRECISION"):
        load_settings()
    monkeypatch.setenv("BURNOUT_HIGH_PRECISION", "0.7")
    assert load_settings().high_risk_precision == 0.7


def test_checkin_work_items_are_off_unless_switched_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BURNOUT_CHECKIN_WORK_ITEMS", raising=False)
    assert load_settings().checkin_work_items is False
    monkeypatch.setenv("BURNOUT_CHECKIN_WORK_ITEMS", "on")
    assert load_settings().checkin_work_items is True
    monkeypatch.setenv("BURNOUT_CHECKIN_WORK_ITEMS", "sometimes")
    with pytest.raises(ConfigError, match="BURNOUT_CHECKIN_WORK_ITEMS='sometimes'"):
        load_settings()


def test_upload_limits_are_settings_within_what_the_websocket_carries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("BURNOUT_UPLOAD_MAX_MB", "BURNOUT_CLIP_MAX_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.upload_max_bytes, settings.clip_max_seconds) == (8_000_000, 60)
    monkeypatch.setenv("BURNOUT_UPLOAD_MAX_MB", "2.5")
    monkeypatch.setenv("BURNOUT_CLIP_MAX_SECONDS", "20")
    settings = load_settings()
    assert (settings.upload_max_bytes, settings.clip_max_seconds) == (2_500_000, 20)
    for value in ("11", "0", "nan", "lots"):
        monkeypatch.setenv("BURNOUT_UPLOAD_MAX_MB", value)
        with pytest.raises(ConfigError, match=f"BURNOUT_UPLOAD_MAX_MB='{value}'"):
            load_settings()
    monkeypatch.setenv("BURNOUT_UPLOAD_MAX_MB", "8")
    monkeypatch.setenv("BURNOUT_CLIP_MAX_SECONDS", "0")
    with pytest.raises(ConfigError, match="BURNOUT_CLIP_MAX_SECONDS=0 is outside"):
        load_settings()


def test_display_url_masks_password() -> None:
    shown = display_url("postgresql://nurse:hunter2@db/burnout")
    assert "hunter2" not in shown and "nurse" in shown
