"""The one settings object, built once at start-up and passed down (never read os.environ elsewhere)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent



class Settings(BaseSettings):
    """Every knob of the service; each field is an environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # storage and state
    database_url: str = Field(default=f"sqlite+aiosqlite:///{ROOT / 'var' / 'bot.sqlite3'}")
    redis_url: str | None = None
    session_ttl_seconds: int = 90 * 24 * 3600
    data_dir: Path = ROOT / "var"
    # HMAC secret for user keys; generated into data_dir/secret.key on first run when unset
    user_key_secret: str | None = None
    # Redis client: bounded waits, retries with exponential back-off, idle connections checked
    redis_connect_timeout_seconds: float = 2.0
    redis_socket_timeout_seconds: float = 2.0
    redis_retries: int = 3  # a command failing on a connection error or timeout is tried again
    redis_backoff_base_seconds: float = 0.05  # back-off: base * 2**attempt, capped
    redis_backoff_cap_seconds: float = 1.0
    redis_health_check_interval: int = 10  # seconds a pooled connection may idle before a PING
    # database: every statement and lock wait ends well before a gateway's 10-15 s timeout
    db_statement_timeout_ms: int = 5000
    db_lock_timeout_ms: int = 3000
    db_idle_in_transaction_timeout_ms: int = 10000
    db_connect_timeout_seconds: float = 3.0
    db_pool_timeout_seconds: float = 5.0  # waiting for a free pooled connection
    sqlite_busy_timeout_seconds: float = 5.0
    # at start, wait this long (with back-off, logged) for PostgreSQL and Redis; 0: forever
    startup_wait_seconds: float = 300.0

    # content
    content_dir: Path = ROOT / "content"
    locales_dir: Path = ROOT / "locales"
    default_locale: str = "en"
    # the languages this deployment may offer (comma-separated codes); empty: every language
    # whose UI strings are published and complete and that has LANGUAGE_MIN_ITEMS items
    languages: str = ""
    language_min_items: int = 10
    # countries whose emergency numbers HELP shows before she has said where she is
    # (comma-separated ISO codes); empty: the organisations' countries
    help_countries: str = ""
    content_refresh_seconds: float = 2.0

    # HTTP service
    host: str = "127.0.0.1"
    port: int = 8080
    public_base_url: str = "http://127.0.0.1:8080"
    max_body_bytes: int = 256 * 1024

    # Telegram
    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_per_chat_interval: float = 1.0

    # SMS gateways
    sms_max_segments: int = 3
    # how long a message id is held while its answer is being made; a retry after that is
    # processed (a process killed mid-request releases nothing): above Twilio's 15 s timeout
    sms_claim_seconds: int = 20
    twilio_auth_token: str | None = None
    twilio_account_sid: str | None = None
    # answers sent later go through Twilio's Messages API: from this number (or a Messaging
    # Service SID, MG...), and for WhatsApp from this WhatsApp sender (both E.164)
    twilio_api_base_url: str = "https://api.twilio.com"
    twilio_sender: str | None = None
    twilio_whatsapp_sender: str | None = None
    africastalking_username: str | None = None
    africastalking_api_key: str | None = None
    africastalking_webhook_key: str | None = None
    africastalking_api_url: str = "https://api.africastalking.com/version1/messaging"
    africastalking_sender: str | None = None
    vonage_api_key: str | None = None
    vonage_api_secret: str | None = None
    vonage_signature_secret: str | None = None
    vonage_signature_method: str = "md5hash"
    vonage_api_url: str = "https://rest.nexmo.com/sms/json"
    vonage_sender: str | None = None
    gateway_timeout_seconds: float = 10.0

    # feedback and privacy
    suppression_k: int = 5
    comment_retention_days: int = 180
    record_retention_days: int = 3 * 365
    feedback_daily_cap: int = 20
    spool_replay_seconds: float = 5.0  # how often feedback spooled during an outage is retried

    # admin API
    admin_rate_limit_per_minute: int = 600
    verification_overdue_days: int = 180

    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one JSON object per line
    # GET /metrics (Prometheus) answers only with "Authorization: Bearer <METRICS_TOKEN>"; unset: 404
    metrics_token: str | None = None
    # run the Telegram poller and the retention job only in the process holding their Redis lock
    lock_ttl_seconds: float = 30.0

    # "ask a person": address book, inbox and outbox (bot/addresses.py, bot/inbox/, bot/outbox.py)
    # AES-GCM key for channel addresses, urlsafe base64 of 32 bytes, optionally "keyid:base64";
    # generated into data_dir/address.key on first run when unset
    address_key: str | None = None
    address_old_keys: str = ""  # comma-separated earlier keys ("keyid:base64"), still readable
    address_retention_days: int = 7  # an address is erased this long after her last thread closed
    inbox_retention_days: int = 90  # thread texts are purged this long after the last message
    inbox_default_organisation: str | None = None  # name; takes questions no organisation covers
    inbox_daily_questions: int = 3  # new questions per person per day
    inbox_daily_messages: int = 20  # questions and follow-ups per person per day
    inbox_question_max_chars: int = 1000
    inbox_reply_max_chars: int = 4000
    outbox_broker_url: str | None = None  # redis://... : separate workers (`python -m bot worker`)
    outbox_max_attempts: int = 8
    outbox_base_delay_seconds: float = 5.0  # back-off: base * 2**(attempt-1), capped, with jitter
    outbox_max_delay_seconds: float = 3600.0
    outbox_lease_seconds: float = 120.0  # a delivery not marked within this is tried again
    outbox_sweep_seconds: float = 5.0  # how often due and retried deliveries are picked up

    @property
    def help_country_codes(self) -> tuple[str, ...]:
        return tuple(c.strip().upper() for c in self.help_countries.split(",") if c.strip())

    @property
    def language_codes(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.languages.split(",") if c.strip())

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file behind database_url, so start-up can create its folder."""
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix):
            rest = self.database_url[len(prefix):]
            return Path(rest) if rest and rest != ":memory:" else None
        return None


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides for tests and the CLI."""
    return Settings(**overrides)  # type: ignore[arg-type]
