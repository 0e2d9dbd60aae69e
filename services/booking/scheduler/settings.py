"""Settings of the scheduler worker (env prefix `SCHEDULER_`)."""
from __future__ import annotations

from typing import Literal

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class SchedulerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULER_", extra="ignore")

    host: str = "127.0.0.1"  # Faust's web server binds every interface unless told
    port: int = 6066
    # Kafka transactions work with faust-streaming 0.15.3 + aiokafka 0.14 on
    # Apache Kafka 4.1 (tests/integration/test_faust.py proves it on every run).
    processing_guarantee: Literal["exactly_once", "at_least_once"] = "exactly_once"
    # Faust's 60 s default session timeout made group joins take up to 110 s.
    session_timeout_s: float = 10.0
    heartbeat_interval_s: float = 1.0
    app_id: str = "labbook-scheduler"
