"""Settings of the labs-api process (env prefix `LABS_`)."""
from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.common.settings import OffsetReset, ServerSettings


class LabsSettings(ServerSettings):
    model_config = SettingsConfigDict(env_prefix="LABS_", extra="ignore")

    port: int = 8082
    offers_group: str = "labs-offers"  # the consumer group of the offers inbox
    # Where a new offers group starts; a test's labs process on a shared broker uses "latest".
    offers_offset_reset: OffsetReset = "earliest"
