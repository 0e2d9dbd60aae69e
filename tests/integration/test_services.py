"""Each service as a real subprocess: /healthz follows its dependencies, and bad
settings end it with one clear line naming the setting."""
import subprocess

import pytest

from tests.support.processes import PrivatePostgres, free_port, python_module, spawn, until_status

HTTP_SERVICES = [("services.booking", "BOOKING"), ("services.labs", "LABS"), ("services.notifier", "NOTIFIER")]
# Each service's consumer in a group of its own, from the topic's end: on a broker that has
# gathered hundreds of thousands of other tests' events, reading them all (one database
# lookup each) kept booking's pool too busy to answer /healthz in time after the outage.
OWN_GROUP = {"BOOKING": ("BOOKING_STATUS_GROUP", "BOOKING_STATUS_OFFSET_RESET"),
             "LABS": ("LABS_OFFERS_GROUP", "LABS_OFFERS_OFFSET_RESET"),
             "NOTIFIER": ("NOTIFIER_GROUP", "NOTIFIER_OFFSET_RESET")}


@pytest.fixture(scope="module")
def private_pg(servers, settings):
    """A cluster of this test module's own, so stopping it disturbs nobody."""
    port = free_port()
    pg = PrivatePostgres(settings.home / f"test-pg-{port}", port)
    pg.run("up")
    yield pg
    pg.run("destroy")


@pytest.mark.parametrize(("module", "prefix"), HTTP_SERVICES)
async def test_healthz_is_200_only_while_postgres_answers(private_pg, tmp_path, module, prefix):
    port = free_port()
    group, reset = OWN_GROUP[prefix]
    env = {"DATABASE_URL": private_pg.url, f"{prefix}_PORT": str(port), group: f"test-healthz-{port}", reset: "latest"}
    url = f"http://127.0.0.1:{port}/healthz"
    log = tmp_path / "service.log"
    with spawn(python_module(module), env, log) as child:
        await until_status(url, 200, child=child, log=log)
        private_pg.run("down")
        try:
            await until_status(url, 503, child=child, log=log)
        finally:
            private_pg.run("up")
        await until_status(url, 200, child=child, log=log)  # and recovers on its own


async def test_scheduler_healthz_with_kafka_up(servers, tmp_path):
    port = free_port()
    env = {"SCHEDULER_PORT": str(port), "SCHEDULER_APP_ID": f"test-scheduler-{port}",
           "LABBOOK_HOME": str(tmp_path)}
    log = tmp_path / "scheduler.log"
    with spawn(python_module("services.booking.scheduler"), env, log) as child:
        await until_status(f"http://127.0.0.1:{port}/metrics", 200, child=child, log=log)
        await until_status(f"http://127.0.0.1:{port}/healthz", 200, child=child, log=log)


def run_briefly(module: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(python_module(module), env={**__import__("os").environ, **env},
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("module", [m for m, _ in HTTP_SERVICES])
@pytest.mark.parametrize(
    ("env", "setting", "code"),
    [
        ({"DATABASE_URL": "postgresql://labbook:labbook@127.0.0.1:{free}/labbook"}, "DATABASE_URL", 1),
        ({"DATABASE_URL": "postgresql://labbook:wrong@127.0.0.1:{pg}/labbook"}, "DATABASE_URL", 1),
        ({"KAFKA_BOOTSTRAP": "127.0.0.1:{free}"}, "KAFKA_BOOTSTRAP", 1),
        ({"DATABASE_URL": "mysql://nobody@nowhere/x"}, "DATABASE_URL", 2),
    ],
)
def test_bad_settings_end_with_one_clear_line(servers, settings, module, env, setting, code):
    pg_port = settings.database_url.rsplit(":", 1)[1].split("/")[0]
    env = {k: v.format(free=free_port(), pg=pg_port) for k, v in env.items()}
    result = run_briefly(module, {**env, "BOOKING_PORT": str(free_port()), "LABS_PORT": str(free_port()),
                                  "NOTIFIER_PORT": str(free_port())})
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if setting in line]
    assert len(lines) == 1 and "wrong" not in lines[0], result.stderr  # never the password


def test_scheduler_names_an_unreachable_broker(servers):
    result = run_briefly("services.booking.scheduler", {"KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot start: KAFKA_BOOTSTRAP" in result.stderr.strip().splitlines()[-1]
