"""Keyed hashes and comment scrubbing: what protects the women if the database leaks."""

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.config import Settings
from bot.privacy import UserKeys, load_secret, scrub


def test_user_key_is_stable_per_channel_and_unlinkable_across_secrets():
    a, b = UserKeys(b"secret-a"), UserKeys(b"secret-b")
    assert a.key("telegram", 12345) == a.key("telegram", "12345")
    assert a.key("telegram", 12345) != a.key("sms", 12345)
    assert a.key("telegram", 12345) != b.key("telegram", 12345)
    assert "12345" not in a.key("telegram", 12345)


@given(st.integers(min_value=0, max_value=10**15))
def test_user_key_never_contains_the_raw_id(raw):
    key = UserKeys(b"k").key("sms", f"+{raw}")
    assert re.fullmatch(r"[0-9a-f]{40}", key)


def test_secret_is_generated_once_and_kept(tmp_path, caplog):
    settings = Settings(_env_file=None, data_dir=tmp_path, user_key_secret=None)
    first = load_secret(settings)
    assert "USER_KEY_SECRET is not set" in caplog.text
    assert load_secret(settings) == first
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


def test_secret_from_settings_wins(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path, user_key_secret="abc")
    assert load_secret(settings) == b"abc"
    assert not (tmp_path / "secret.key").exists()


def test_scrub_removes_contact_details_and_id_numbers():
    text = ("call +44 7700 900123 or 0812-3456-7890, mail maria.s@example.org, "
            "see https://t.me/x, passport P1234567, رقمي ٠٥٠١٢٣٤٥٦٧")
    cleaned = scrub(text)
    for secret in ("7700", "3456", "maria", "example.org", "t.me", "1234567", "٠٥٠١"):
        assert secret not in cleaned
    assert "[phone]" in cleaned and "[email]" in cleaned and "[link]" in cleaned


def test_scrub_keeps_ordinary_words_and_small_numbers():
    assert scrub("I waited 3 days and paid 2000 dollars") == "I waited 3 days and paid 2000 dollars"
    assert scrub("La agencia me pidió dinero") == "La agencia me pidió dinero"


@given(st.from_regex(r"\+?[1-9][0-9]{7,12}", fullmatch=True), st.text(max_size=20))
def test_scrub_never_keeps_a_long_digit_run(number, noise):
    cleaned = scrub(f"{noise} {number} {noise}")
    assert number not in cleaned
