"""docker-compose.yml against the code: process list, modules, settings names and ports.

No Docker here: the file is parsed with PyYAML and every value that names
something in the code (a module, an env var, a port, a console script) is
checked against that code, so renaming a setting or moving a port breaks this
test instead of the Docker stack.
"""
from __future__ import annotations

import importlib.util
import re
import shlex
import tomllib
from urllib.parse import urlsplit

import pytest
import yaml

from services.cli import main as cli_main
from services.cli.stack import PROCESSES
from services.common.settings import ROOT, ServiceSettings, env_name
from services.notifier.mailcatcher_settings import MailCatcherSettings

COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = "deploy/Dockerfile"

INFRA = {"kafka", "postgres", "mailpit"}
# Processes of `labbook up` that compose replaces with an image: our SMTP catcher is mailpit there.
SUBSTITUTES = {"mailcatcher": "mailpit"}
APP = {proc.name: proc for proc in PROCESSES if proc.name not in SUBSTITUTES}
EXPECTED_SERVICES = {"kafka", "postgres", "mailpit", "topics", "booking-api", "scheduler", "labs-api", "notifier"}
# What the host may reach: the three APIs and mailpit's web UI and SMTP port.
EXPECTED_PUBLISHED = {8081, 8082, 8083, 8025, 1025}

INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?::?-(?P<default>[^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


def command(service: dict) -> list[str]:
    cmd = service["command"]
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def module_of(service: dict) -> str:
    cmd = command(service)
    assert "-m" in cmd, f"command {cmd} does not run a module with -m"
    return cmd[cmd.index("-m") + 1]


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def interpolated(value: str) -> str:
    """Compose's ${VAR:-default} with nothing set in the environment."""
    return INTERPOLATION.sub(lambda m: m.group("default") or "", value).replace("$$", "$")


def published_ports(service: dict) -> list[tuple[int, int]]:
    """(published, target) pairs of a service's `ports`, short or long syntax."""
    pairs = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            pairs.append((int(entry["published"]), int(entry["target"])))
            continue
        parts = str(entry).split("/")[0].split(":")
        target = int(parts[-1])
        published = int(parts[-2]) if len(parts) >= 2 else target
        pairs.append((published, target))
    return pairs


def healthcheck_text(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(str(part) for part in test)


def image_major(image: str) -> tuple[str, int]:
    name, _, tag = image.rpartition(":")
    match = re.match(r"(\d+)", tag)
    assert name and match, f"image {image!r} has no numeric version tag"
    return name, int(match.group(1))


def allowed_env(cls: type[ServiceSettings]) -> set[str]:
    return {env_name(cls, field) for field in cls.model_fields}


def test_service_names(services):
    assert set(services) == EXPECTED_SERVICES


def test_every_process_of_the_stack_is_a_compose_service(services):
    """`labbook up` and `docker compose up` run the same processes with the same modules."""
    app_services = set(services) - INFRA - {"topics"}
    assert app_services == set(APP), "compose app services and services.cli.stack.PROCESSES differ"
    for proc in APP.values():
        assert proc.name in services, f"{proc.name} is in PROCESSES but not in compose"
        assert module_of(services[proc.name]) == proc.module
    assert set(SUBSTITUTES) == {proc.name for proc in PROCESSES} - set(APP)
    for substitute in SUBSTITUTES.values():
        assert substitute in services, f"compose has no {substitute}"


def test_mailpit_listens_where_the_local_catcher_does(services):
    """Mail goes to port 1025 whichever stack runs: the catcher locally, mailpit in compose."""
    port = MailCatcherSettings.model_fields["port"].default
    assert (port, port) in published_ports(services[SUBSTITUTES["mailcatcher"]])


@pytest.mark.parametrize("name", sorted(APP))
def test_command_runs_an_existing_module(services, name):
    cmd = command(services[name])
    assert cmd[0] in {"python", "python3"}
    module = module_of(services[name])
    assert importlib.util.find_spec(module) is not None, f"{name}: no module {module}"
    assert importlib.util.find_spec(f"{module}.__main__") is not None, f"{name}: {module} has no __main__"


def test_topics_runs_the_console_scripts_topics_create(services):
    cmd = command(services["topics"])
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert cmd[0] in scripts, f"{cmd[0]} is not a console script of the project"
    assert scripts[cmd[0]] == "services.cli.main:main"
    args = cli_main.parser().parse_args(cmd[1:])
    assert args.func is cli_main.cmd_topics_create
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", sorted(APP) + ["topics"])
def test_every_environment_name_is_a_setting(services, name):
    cls = APP[name].settings if name in APP else ServiceSettings
    unknown = set(environment(services[name])) - allowed_env(cls)
    assert not unknown, f"{name}: {sorted(unknown)} are not fields of {cls.__name__}"


@pytest.mark.parametrize("name", sorted(APP) + ["topics"])
def test_build_uses_the_app_image(services, name):
    build = services[name]["build"]
    assert build["context"] == "."
    assert build["dockerfile"] == DOCKERFILE
    assert (ROOT / DOCKERFILE).is_file()


@pytest.mark.parametrize("name", sorted(APP))
def test_environment_loads_into_the_settings(services, name, monkeypatch):
    """The compose values pass the settings' own validation (URLs, host:port, levels)."""
    cls = APP[name].settings
    for key, value in environment(services[name]).items():
        monkeypatch.setenv(key, interpolated(value))
    settings = cls()
    default_port = cls.model_fields["port"].default
    assert settings.host == "0.0.0.0"
    assert settings.port == default_port


@pytest.mark.parametrize("name", sorted(APP))
def test_host_binds_every_interface_inside_the_container(services, name):
    cls = APP[name].settings
    env = environment(services[name])
    assert env.get(env_name(cls, "host")) == "0.0.0.0"


@pytest.mark.parametrize("name", sorted(APP))
def test_ports_and_healthcheck_follow_the_settings(services, name):
    cls = APP[name].settings
    port = cls.model_fields["port"].default
    env = environment(services[name])
    assert env.get(env_name(cls, "port"), str(port)) == str(port)
    for published, target in published_ports(services[name]):
        assert published == port, f"{name} publishes {published}, its settings default to {port}"
        assert target == port, f"{name} maps to container port {target}, it listens on {port}"
    check = healthcheck_text(services[name])
    assert re.search(rf"//(127\.0\.0\.1|localhost):{port}/healthz\b", check), check
    assert "python" in check and "urllib" in check


def test_published_ports_are_exactly_the_public_ones(services):
    published = [p for service in services.values() for p, _ in published_ports(service)]
    assert sorted(published) == sorted(EXPECTED_PUBLISHED)
    assert not published_ports(services["kafka"]) and not published_ports(services["postgres"])
    for name in ("booking-api", "labs-api", "notifier"):
        assert published_ports(services[name]), f"{name} is not published"
    for name, service in services.items():
        assert "network_mode" not in service, f"{name} leaves the compose network"


@pytest.mark.parametrize("name", sorted(APP))
def test_app_services_wait_for_their_dependencies(services, name):
    depends = services[name]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["kafka"]["condition"] == "service_healthy"
    assert depends["topics"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", sorted(APP) + ["topics"])
def test_connections_point_at_the_compose_services(services, name):
    kafka_env = environment(services["kafka"])
    advertised = dict(
        listener.split("://", 1) for listener in kafka_env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    )
    env = environment(services[name])
    assert env["KAFKA_BOOTSTRAP"] == advertised["PLAINTEXT"]
    if name == "topics":
        return
    pg = environment(services["postgres"])
    url = urlsplit(env["DATABASE_URL"])
    assert url.scheme == "postgresql"
    assert (url.hostname, url.port or 5432) == ("postgres", 5432)
    assert url.username == pg["POSTGRES_USER"]
    assert url.password == pg["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == pg["POSTGRES_DB"]
    assert "LABBOOK_TOKEN_SECRET" in env


def test_kafka_is_apache_kafka_4_without_topic_auto_creation(services):
    kafka = services["kafka"]
    name, major = image_major(kafka["image"])
    assert name == "apache/kafka"
    assert major == 4
    env = environment(kafka)
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"].lower() == "false"
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == "0"
    assert "kafka-broker-api-versions.sh" in healthcheck_text(kafka)


def test_postgres_is_17(services):
    name, major = image_major(services["postgres"]["image"])
    assert name == "postgres"
    assert major == 17
    assert "pg_isready" in healthcheck_text(services["postgres"])


def test_named_volumes_are_declared(compose, services):
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            source = volume["source"] if isinstance(volume, dict) else str(volume).split(":")[0]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name} uses undeclared volume {source}"
