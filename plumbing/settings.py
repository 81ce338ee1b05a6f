"""Settings from the environment (NRM_*, TEMPORAL_ADDRESS/NAMESPACE) or a `.env` file; defaults are the embedded
set-up. The rest of the connection (profiles, API key, TLS) is Temporal's own environment configuration, read by
plumbing.connection."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from policies import POLICY_DIR


class BindTaken(ValueError):
    """Another process holds the address a setting names (NRM_HEALTH_BIND, NRM_METRICS_BIND)."""


def split_bind(bind: str) -> tuple[str, int]:
    """`HOST:PORT` (NRM_HEALTH_BIND, NRM_METRICS_BIND) as a host and a port."""
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("expected HOST:PORT, e.g. 127.0.0.1:8081")
    return host.strip("[]"), int(port)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NRM_", env_file=".env", extra="ignore")

    # None: from the Temporal environment configuration (plumbing.connection), as the `temporal` CLI reads it
    temporal_address: str | None = Field(None, validation_alias=AliasChoices("TEMPORAL_ADDRESS"))
    temporal_namespace: str | None = Field(None, validation_alias=AliasChoices("TEMPORAL_NAMESPACE"))
    task_queue: str = "nrm-cases"
    delivery_task_queue: str | None = None  # the delivery activities' queue; default "<task_queue>-delivery"
    act_retry_for: timedelta = timedelta(seconds=60)  # the client library retries an act this long while it cannot land
    deployment_name: str | None = None  # Worker Versioning (with build_id); off on the embedded server
    build_id: str | None = None
    home: Path = Path(".nrm")
    policy_dir: Path = POLICY_DIR
    default_policy: str = "osce-model"
    key_file: Path | None = None
    keys: SecretStr | None = None  # the key file's JSON itself (a platform's secret as a variable); wins over key_file
    outbox: Path | None = None
    mail_domain: str = "nrm.invalid"
    actor: str | None = None
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    ui_port: int = 8233
    codec_port: int = 8234
    codec_token: SecretStr | None = None  # bearer token of the codec server; else read from codec_token_file
    codec_token_file: Path | None = None
    codec_ui_origin: str | None = None  # the one origin given CORS headers; default the embedded Web UI's
    codec_tls_cert: Path | None = None  # with codec_tls_key: the codec server serves HTTPS (PEM chain, PEM key)
    codec_tls_key: Path | None = None
    codec_cross_site: bool = False  # the Web UI is on another site: its cookie is SameSite=None; Secure (https only)
    codec_oidc_issuer: str | None = None  # with codec_oidc_jwks_url: accept the Web UI's forwarded access token
    codec_oidc_jwks_url: str | None = None  # the identity provider's signing keys (JWKS)
    codec_oidc_audience: str | None = None  # the `aud` the token must name, if set
    retention: timedelta = timedelta(days=365)  # closed cases are deleted this long after closing (namespace)
    actors_file: Path | None = None  # the actor directory (public keys, roles); default NRM_HOME/actors.json
    assertion_max_age: timedelta = timedelta(minutes=5)  # a signed act must reach its case within this time
    actors_refresh: timedelta = timedelta(seconds=1)  # how soon a worker sees a change of the actor directory
    actors_url: str | None = None  # the directory served over https instead of a file (plumbing.actor_directory)
    actors_url_ca: Path | None = None  # CA bundle that signs the directory server's certificate; default system CAs
    actors_url_refresh: timedelta = timedelta(seconds=30)  # how often a worker fetches the directory URL again

    # operations (README "Production")
    health_bind: str | None = None  # HOST:PORT of /healthz and /readyz, e.g. 127.0.0.1:8081; off when unset
    metrics_bind: str | None = None  # HOST:PORT of Prometheus /metrics, e.g. 0.0.0.0:9464; off when unset
    open_cases_refresh: timedelta = timedelta(seconds=60)  # how often the cases worker counts open cases by stage
    otlp_endpoint: str | None = None  # OpenTelemetry traces to this collector (OTLP/HTTP base URL); off when unset

    # notifications (README "Obligations and notifications")
    notify_channel: Literal["maildir", "smtp", "webhook"] = "maildir"
    assessment_channel: Literal["maildir", "smtp", "webhook"] | None = None  # default: notify_channel
    staff_language: str = "en"  # language of reminders, escalations, requests and digests
    role_addresses: dict[str, str] = {}  # e.g. {"coordinator": "nrm-desk@example.org"}; else ROLE@mail_domain
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = 30.0
    webhook_url: str | None = None
    assessment_webhook_url: str | None = None  # an external case-management system; default webhook_url
    webhook_secret: SecretStr | None = None  # HMAC-SHA256 key of the X-NRM-Signature header
    webhook_timeout: float = 10.0
    digest_hour: int = Field(7, ge=0, le=23)  # the coordinators' daily digest, at this hour...
    digest_timezone: str = "UTC"  # ...in this time zone
    digest_window_hours: int = Field(48, ge=1)

    @field_validator("digest_timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        """Checked here, not first by the server when the schedule is applied."""
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a time zone of the IANA database (e.g. Europe/Bucharest, UTC)") from None
        return name

    @field_validator("health_bind", "metrics_bind")
    @classmethod
    def _host_port(cls, bind: str | None) -> str | None:
        if bind is not None:
            split_bind(bind)
        return bind

    @field_validator("actors_url")
    @classmethod
    def _https(cls, url: str | None) -> str | None:
        """The directory decides who may act: it is fetched over https only, never in clear."""
        if url is not None and not url.startswith("https://"):
            raise ValueError("the actor directory URL must be https://")
        return url

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, name: str) -> str:
        if not isinstance(logging.getLevelName(name.upper()), int):
            raise ValueError("not a log level (DEBUG, INFO, WARNING, ERROR)")
        return name.upper()

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable that sets a field, for error messages."""
        alias = cls.model_fields[field].validation_alias
        return str(alias.choices[0]) if isinstance(alias, AliasChoices) else f"NRM_{field.upper()}"

    @property
    def key_path(self) -> Path:
        return self.key_file or self.home / "keys.json"

    @property
    def delivery_queue(self) -> str:
        return self.delivery_task_queue or f"{self.task_queue}-delivery"

    @property
    def actors_path(self) -> Path:
        return self.actors_file or self.home / "actors.json"

    @property
    def actor_keys_dir(self) -> Path:
        """Private signing keys of the actors who act from this machine, one `<id>.key` file each."""
        return self.home / "actors"

    @property
    def codec_token_path(self) -> Path:
        return self.codec_token_file or self.home / "codec-token"

    @property
    def web_ui_origin(self) -> str:
        return self.codec_ui_origin or f"http://127.0.0.1:{self.ui_port}"

    @property
    def outbox_path(self) -> Path:
        return self.outbox or self.home / "outbox"
