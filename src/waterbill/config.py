"""One typed settings object, read from ``WATERBILL_*`` environment variables.

Every variable is documented in ``.env.example``. Secrets are ``SecretStr`` so they never show up in
logs or ``repr``; outside development a placeholder secret is refused at start-up.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from waterbill.identifiers import DEFAULT_CODE_LENGTH, parse_fin

Environment = Literal["development", "test", "production"]
AccessPolicy = Literal["holder-only", "masked-for-others"]

DEFAULT_SQLITE_URL = "sqlite:///var/waterbill.db"
# Values a developer might paste from documentation; never acceptable outside development.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev", "development"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WATERBILL_", extra="ignore")

    env: Environment = "production"
    database_url: str = DEFAULT_SQLITE_URL
    database_replica_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Also the number of request threads per process (waterbill.web.app's lifespan).
    database_pool_size: int = Field(default=10, ge=1, le=200)
    # Seconds; libpq waits at least 2 s for a new connection, the app answers 503 sooner anyway.
    database_connect_timeout: float = Field(default=2.0, gt=0)
    # Seconds a request waits for a pooled connection before "database unavailable".
    database_pool_timeout: float = Field(default=1.0, gt=0, le=30)
    # Seconds one SQL statement may run on PostgreSQL (0 turns the limit off).
    database_statement_timeout: float = Field(default=5.0, ge=0)
    # Seconds of replay lag beyond which a replica is skipped and reads go to the primary.
    replica_max_lag: float = Field(default=1.0, gt=0)
    # Seconds between two probes of each replica; well under replica_max_lag (checked below).
    replica_check_interval: float = Field(default=0.5, gt=0)

    # Subscriber codes: digits only, spaces and hyphens stripped; no official length exists.
    code_min_length: int = Field(default=DEFAULT_CODE_LENGTH[0], ge=1, le=32)
    code_max_length: int = Field(default=DEFAULT_CODE_LENGTH[1], ge=1, le=32)

    # Billing without a meter: m³ per person per month (sources disagree: 3 or 5).
    norm_m3_per_person: Decimal = Decimal("3")

    secret_key: SecretStr = SecretStr("")
    access_policy: AccessPolicy = "masked-for-others"
    # The ICT department's oversight role (regulation 3.5): FINs, comma-separated.
    admin_fins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Audit rows older than this many days may be pruned; the chain keeps an anchor.
    audit_retention_days: int = Field(default=1825, ge=1)
    # Independent hash chains in the audit log: appends lock only their chain's head (issue 9).
    audit_chains: int = Field(default=16, ge=1, le=1024)

    # Sign-in through the e-gov single sign-on (OpenID Connect). In development the issuer defaults
    # to the bundled provider mounted at /dev-idp of the same app.
    oidc_issuer: str = ""
    oidc_client_id: str = "waterbill"
    oidc_client_secret: SecretStr = SecretStr("")
    # Audience of the provider's access tokens that the API accepts (default: the client id).
    oidc_api_audience: str = ""
    oidc_fin_claim: str = "fin"
    # Seconds the provider may take to connect or to answer (discovery, keys, token, logout):
    # beyond it the sign-in answers 503 "unavailable, try again" instead of holding the citizen.
    oidc_timeout: float = Field(default=5.0, gt=0, le=60)
    # The bundled development identity provider: on by default in development, refused elsewhere.
    dev_idp: bool | None = None
    # Where the app is reached, for redirect URIs (default: http://127.0.0.1:8000 in development).
    public_url: str = ""

    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=7 * 24)

    # Operations: shared counters, limits, headers, timeouts (see waterbill.ops).
    redis_url: str | None = None
    # Origins allowed to frame the pages (the e-gov portal), for CSP frame-ancestors.
    portal_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Origins forms may post to besides the service itself (the identity provider).
    form_action_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_request_bytes: int = Field(default=65_536, ge=1_024)
    # Seconds a citizen page may take before it answers 503 instead of hanging.
    request_deadline: float = Field(default=1.5, gt=0)
    rate_limit_codes_per_citizen: int = Field(default=30, ge=1)
    rate_limit_codes_window: int = Field(default=3_600, ge=1)
    rate_limit_ip_requests: int = Field(default=300, ge=1)
    rate_limit_ip_window: int = Field(default=60, ge=1)
    log_level: str = "INFO"

    # Disputes: filings per citizen per Baku day (their photos are kept in the database).
    dispute_daily_limit: int = Field(default=5, ge=1, le=1000)
    # The largest amount one request to POST /api/v1/payments may carry (AZN); above it the
    # payment is refused as a channel's mistake (a code or an id in the amount field).
    payment_max_amount: Decimal = Field(default=Decimal("10000.00"), gt=0, decimal_places=2)

    # Meter readings (issue 23): the month's reading window (days of the Baku month), the factor
    # of the usual daily use above which a reading is implausible, the readings accepted per
    # account per Baku day, and how many days back the reading's date may be.
    reading_window_start_day: int = Field(default=15, ge=1, le=28)
    reading_window_end_day: int = Field(default=25, ge=1, le=31)
    reading_implausible_factor: Decimal = Field(default=Decimal(10), gt=1, le=1000)
    reading_daily_limit: int = Field(default=3, ge=1, le=100)
    reading_max_age_days: int = Field(default=7, ge=0, le=60)
    # How many days a no-debt certificate holds, its day of issue included.
    certificate_validity_days: int = Field(default=30, ge=1, le=366)

    # Performance figures (issue 20): seconds between two writes of an instance's counts (and its
    # availability heartbeat); answers to "How easy was it?" per citizen (or IP) per hour; the
    # GOV.UK cost per transaction (manat) and the transactions of the other channels (hotline 955,
    # offices) per day, for the digital take-up. Unset: shown as not known.
    performance_flush_seconds: float = Field(default=5.0, gt=0, le=60)
    feedback_per_hour: int = Field(default=5, ge=1, le=1000)
    performance_cost_per_transaction: Decimal | None = Field(default=None, ge=0)
    performance_other_channel_transactions_per_day: int | None = Field(default=None, ge=0)

    # Notifications (issue 19): delivered by ``waterbill worker``. smtp://host:port (STARTTLS when
    # offered) or smtps://user:pass@host:port; in development the mail sink of ``make run``.
    smtp_url: SecretStr = SecretStr("")
    mail_from: str = "Azərsu <noreply@azersu.az>"
    smtp_timeout: float = Field(default=10.0, gt=0, le=120)
    # Tries before a delivery is dead-lettered (status failed); the wait doubles from the base.
    notify_max_attempts: int = Field(default=8, ge=1, le=100)
    notify_backoff_seconds: float = Field(default=30.0, gt=0)
    # Seconds a worker holds a claimed delivery; a dead worker's claims are looked at after it.
    notify_lease_seconds: float = Field(default=300.0, gt=0)
    notify_batch_size: int = Field(default=50, ge=1, le=1000)
    # Days a finished delivery (sent, skipped, failed, uncertain) and its address are kept.
    notify_retention_days: int = Field(default=90, ge=1)
    # The second channel: an HTTP SMS gateway (off when empty).
    sms_gateway_url: str = ""
    sms_gateway_token: SecretStr = SecretStr("")

    @field_validator(
        "database_replica_urls", "portal_origins", "form_action_origins", mode="before"
    )
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("admin_fins", mode="before")
    @classmethod
    def _split_fins(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            return [parse_fin(str(part)) for part in value]
        return value

    @model_validator(mode="after")
    def _probes_outpace_the_lag_bound(self) -> Settings:
        # A replica is used only while its last probe is younger than the lag bound allows.
        if self.replica_check_interval >= self.replica_max_lag:
            raise ValueError(
                "WATERBILL_REPLICA_CHECK_INTERVAL must be below WATERBILL_REPLICA_MAX_LAG"
            )
        return self

    @model_validator(mode="after")
    def _reading_window_is_ordered(self) -> Settings:
        if self.reading_window_start_day > self.reading_window_end_day:
            raise ValueError(
                "WATERBILL_READING_WINDOW_START_DAY must not be after "
                "WATERBILL_READING_WINDOW_END_DAY"
            )
        return self

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @property
    def dev_idp_enabled(self) -> bool:
        return self.is_development if self.dev_idp is None else self.dev_idp

    @property
    def base_url(self) -> str:
        return (self.public_url or "http://127.0.0.1:8000").rstrip("/")

    @property
    def issuer(self) -> str:
        """The OIDC issuer: configured, or the bundled provider when it is on."""
        if self.oidc_issuer:
            # Exactly as configured: ID tokens must carry it character for character, and some
            # providers' issuers end with a slash.
            return self.oidc_issuer.strip()
        if self.dev_idp_enabled:
            return f"{self.base_url}/dev-idp"
        return ""

    @property
    def api_audience(self) -> str:
        return self.oidc_api_audience or self.oidc_client_id

    def for_bulk_work(self) -> Settings:
        """The same settings without the statement timeout that protects citizen requests.

        A bulk load (demo data, a billing feed) runs statements for minutes by design.
        """
        return self.model_copy(update={"database_statement_timeout": 0})

    @property
    def smtp(self) -> str:
        """The SMTP server: configured, or in development the local mail sink (``make run``)."""
        url = self.smtp_url.get_secret_value()
        if not url and self.is_development:
            return "smtp://127.0.0.1:8025"
        return url

    @property
    def code_length_range(self) -> tuple[int, int]:
        return (self.code_min_length, self.code_max_length)

    def check_secrets(self) -> None:
        """Refuse to run a real deployment with a placeholder secret."""
        if self.env == "production" and (
            self.secret_key.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS
        ):
            raise ValueError("WATERBILL_SECRET_KEY must be set to a real secret in production")
        if self.dev_idp_enabled and not self.is_development:
            raise ValueError(
                "the bundled development identity provider (WATERBILL_DEV_IDP) may only run with "
                "WATERBILL_ENV=development; configure WATERBILL_OIDC_ISSUER for the e-gov portal"
            )
        if self.env == "production" and not self.issuer:
            raise ValueError("WATERBILL_OIDC_ISSUER must be set outside development")

    @property
    def secret_bytes(self) -> bytes:
        """The key for pseudonyms and the development provider's signing key."""
        value = self.secret_key.get_secret_value()
        # Development may run without a secret; a fixed, public value is then good enough.
        return (value or "waterbill-development-only").encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
