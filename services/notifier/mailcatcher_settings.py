"""Settings of the local mail catcher (env prefix `MAILCATCHER_`).

Kept apart from NotifierSettings: the catcher is a separate process of the
local stack (`labbook up`), which needs a settings class with a `port`.
"""
from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServerSettings


class MailCatcherSettings(ServerSettings):
    model_config = SettingsConfigDict(env_prefix="MAILCATCHER_", extra="ignore")

    port: int = 1025
    dir: Path | None = None  # None: $LABBOOK_HOME/mail

    def mail_dir(self) -> Path:
        return self.dir if self.dir is not None else self.home / "mail"
