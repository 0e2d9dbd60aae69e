"""Settings: bad values end the process with one line naming the setting."""
import pytest

from services.booking.settings import BookingSettings
from services.booking.scheduler.settings import SchedulerSettings
from services.common.settings import default_home, env_name, load_settings, local_secret
from services.common.startup import redact


@pytest.mark.parametrize(
    ("env", "value", "named"),
    [
        ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL"),
        ("KAFKA_BOOTSTRAP", "no-port-here", "KAFKA_BOOTSTRAP"),
        ("BOOKING_PORT", "eighty", "BOOKING_PORT"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("LABBOOK_TOKEN_SECRET", "too-short", "LABBOOK_TOKEN_SECRET"),  # HS256 wants 32 bytes or more
    ],
)
def test_bad_setting_exits_with_one_line_naming_it(monkeypatch, capsys, env, value, named):
    monkeypatch.setenv(env, value)
    with pytest.raises(SystemExit) as exit_info:
        load_settings(BookingSettings, "booking-api")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"bad setting {named}" in err and err.startswith("booking-api:")


def test_a_rule_across_settings_exits_with_its_one_line(monkeypatch, capsys):
    from services.notifier.settings import NotifierSettings
    monkeypatch.setenv("NOTIFIER_LEASE_S", "15")  # the send timeouts stay 10 s: 4 x 10 s is more
    with pytest.raises(SystemExit):
        load_settings(NotifierSettings, "notifier")
    err = capsys.readouterr().err.strip()
    assert err == "notifier: bad settings: NOTIFIER_LEASE_S (15) must exceed 4 times the longer send timeout (40 s)"


def test_service_prefix_and_shared_names(monkeypatch):
    monkeypatch.setenv("BOOKING_PORT", "9999")
    monkeypatch.setenv("KAFKA_BOOTSTRAP", "127.0.0.1:19092")
    settings = load_settings(BookingSettings, "booking-api")
    assert settings.port == 9999 and settings.kafka_bootstrap == "127.0.0.1:19092"
    assert env_name(BookingSettings, "port") == "BOOKING_PORT"
    assert env_name(BookingSettings, "database_url") == "DATABASE_URL"
    assert env_name(SchedulerSettings, "processing_guarantee") == "SCHEDULER_PROCESSING_GUARANTEE"


def test_password_never_reaches_logs():
    assert redact("postgresql://labbook:hunter2@db:5432/x") == "postgresql://labbook:***@db:5432/x"
    assert redact("postgresql://db/x") == "postgresql://db/x"


def test_local_secret_is_created_once_and_private(tmp_path):
    first = local_secret(tmp_path)
    assert local_secret(tmp_path) == first and len(first) >= 32
    assert (tmp_path / "token-secret").stat().st_mode & 0o077 == 0


def test_secret_from_environment_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("LABBOOK_TOKEN_SECRET", "from-env-0123456789abcdef-0123456789")
    monkeypatch.setenv("LABBOOK_HOME", str(tmp_path))
    assert BookingSettings().secret() == "from-env-0123456789abcdef-0123456789"
    assert not (tmp_path / "token-secret").exists()


def test_only_the_documented_names_are_read(monkeypatch, tmp_path):
    # Field names must not leak into env names: `home` is LABBOOK_HOME, never $HOME.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TOKEN_SECRET", "not-this-one")
    monkeypatch.delenv("LABBOOK_HOME", raising=False)
    monkeypatch.delenv("LABBOOK_TOKEN_SECRET", raising=False)
    settings = BookingSettings()
    assert settings.home == default_home() and settings.token_secret is None
