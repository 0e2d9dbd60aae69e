"""Settings of the labs-api process (env prefix `LABS_`)."""
from __future__ import annotations

from typing import Literal

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class LabsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LABS_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8082
    offers_group: str = "labs-offers"  # the consumer group of the offers inbox
    # Where a new offers group starts; a test's labs process on a shared broker uses "latest".
    offers_offset_reset: Literal["earliest", "latest"] = "earliest"
