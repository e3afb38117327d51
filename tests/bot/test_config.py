"""Every setting is documented where an operator looks: the README and .env.example."""

from __future__ import annotations

import pytest

from bot.config import ROOT, Settings, get_settings

NAMES = [name.upper() for name in Settings.model_fields]


@pytest.mark.parametrize("document", ["README.md", ".env.example"])
def test_every_setting_is_documented(document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    missing = [name for name in NAMES if name not in text]
    assert not missing, f"{document} does not mention {missing}"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_MAX_SEGMENTS", "2")
    monkeypatch.setenv("SUPPRESSION_K", "7")
    settings = get_settings()
    assert (settings.sms_max_segments, settings.suppression_k) == (2, 7)


def test_the_default_database_is_a_sqlite_file_in_the_data_dir() -> None:
    settings = get_settings(_env_file=None)
    assert settings.sqlite_path is not None and settings.sqlite_path.name.endswith(".sqlite3")
