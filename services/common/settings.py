"""Settings every labbook process shares, read from the environment.

Shared connection settings keep plain names (`DATABASE_URL`, `KAFKA_BOOTSTRAP`,
`LABBOOK_TOKEN_SECRET`); each service adds its own fields under its own prefix
(`BOOKING_PORT`, `LABS_PORT`, ...). A running app holds its name and settings
under SERVICE and SETTINGS (http.base_app puts them there).
"""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Literal, TypeVar

from aiohttp import web
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.tokens import check_secret

ROOT = Path(__file__).resolve().parents[2]


def default_home() -> Path:
    return ROOT / ".labbook"


class ServiceSettings(BaseSettings):
    # No populate_by_name: with it, `home` would also read $HOME.
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field(
        "postgresql://labbook:labbook@127.0.0.1:5432/labbook", validation_alias="DATABASE_URL"
    )
    kafka_bootstrap: str = Field("127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP")
    token_secret: SecretStr | None = Field(None, validation_alias="LABBOOK_TOKEN_SECRET")
    home: Path = Field(default_factory=default_home, validation_alias="LABBOOK_HOME")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql://user:password@host:port/database URL")
        return value

    @field_validator("token_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_secret(value.get_secret_value())
        return value

    @field_validator("kafka_bootstrap")
    @classmethod
    def _host_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError("must be host:port[,host:port...]")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    def secret(self) -> str:
        """The token secret: from the environment, else the local stack's secret file."""
        if self.token_secret is not None:
            return self.token_secret.get_secret_value()
        return local_secret(self.home)


# Where a consumer group with no committed offsets starts reading.
OffsetReset = Literal["earliest", "latest"]


class ServerSettings(ServiceSettings):
    """A process that listens on host:port (env names under the subclass's prefix)."""

    # Loopback unless told: aiohttp's and Faust's servers would bind every interface.
    host: str = "127.0.0.1"
    port: int  # each process has its own, given as the subclass's default


SERVICE = web.AppKey("service", str)
SETTINGS = web.AppKey("settings", ServiceSettings)


def local_secret(home: Path) -> str:
    path = home / "token-secret"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


S = TypeVar("S", bound=ServiceSettings)


def env_name(cls: type[BaseSettings], field: str) -> str:
    info = cls.model_fields.get(field)
    if info is None:  # errors on aliased fields already name the variable
        return field.upper()
    if isinstance(info.validation_alias, str):
        return info.validation_alias
    return f"{cls.model_config.get('env_prefix', '')}{field}".upper()


def load_settings(cls: type[S], service: str) -> S:
    """Settings from the environment; a bad value ends the process with one clear line."""
    try:
        return cls()
    except ValidationError as exc:
        # A rule across settings (a model validator) has no field: its message names them.
        lines = [
            f"{service}: bad setting {env_name(cls, str(e['loc'][0]))}: {e['msg']}" if e["loc"]
            else f"{service}: bad settings: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        ]
        print("\n".join(lines), file=sys.stderr)
        raise SystemExit(2) from None
