"""Settings of the booking-api process (env prefix `BOOKING_`)."""
from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class BookingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOOKING_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8081
