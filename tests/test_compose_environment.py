"""`docker compose config` with a `.env` that sets SMTP: every service that runs Django gets each setting, exactly
as written, and the services that do not run Django (database, Redis, MQTT broker) get none of them.

The real `docker compose config --format json` is used where the Compose plugin is installed; where it is not
(`docker compose version` fails), the same resolution is done from the YAML as Compose does it: each service's
`env_file` entries read in order, then its `environment` on top, `${NAME:-default}` filled from `.env`. No
container is started either way."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DJANGO_SERVICES = {"migrate", "web", "worker", "beat", "ingest"}
SMTP = {
    "EMAIL_HOST": "smtp.comune.example.it",
    "EMAIL_PORT": "2525",
    "EMAIL_HOST_USER": "osservatorio@comune.example.it",
    "EMAIL_HOST_PASSWORD": "s3cret #with spaces",
    "EMAIL_USE_TLS": "0",
    "EMAIL_TIMEOUT": "25",
}
DOT_ENV = """# SMTP of the city's mail relay
EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend
EMAIL_HOST=smtp.comune.example.it
EMAIL_PORT=2525
EMAIL_HOST_USER=osservatorio@comune.example.it
EMAIL_HOST_PASSWORD='s3cret #with spaces'
EMAIL_USE_TLS=0
EMAIL_TIMEOUT=25  # seconds
DJANGO_ALLOWED_HOSTS=sicurezza.comune.example.it
"""


def compose_cli() -> list[str] | None:
    """The Compose command that works here (the plugin, or the standalone docker-compose), or None."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        probe = subprocess.run([*command, "version"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return command
    return None


def dotenv_values(path: Path) -> dict[str, str]:
    """A `.env` file read as Compose reads it: `NAME=value`, comments, single quotes literal, double quotes."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if value[:1] == "'" and "'" in value[1:]:
            value = value[1 : value.index("'", 1)]
        elif value[:1] == '"' and '"' in value[1:]:
            value = bytes(value[1 : value.index('"', 1)], "utf-8").decode("unicode_escape")
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        values[name.strip()] = value
    return values


def interpolated(value: str, variables: dict[str, str]) -> str:
    """`${NAME}`, `${NAME:-default}` and `${NAME-default}` as Compose fills them."""

    def fill(match: re.Match) -> str:
        name, operator, default = match.group(1), match.group(2), match.group(3) or ""
        if operator == ":-":
            return variables.get(name) or default
        if operator == "-":
            return variables.get(name, default)
        return variables.get(name, "")

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}", fill, value)


def resolved_from_yaml(project: Path) -> dict[str, dict[str, str]]:
    """Each service's final environment, resolved from docker-compose.yml as `docker compose config` does."""
    compose = yaml.safe_load((project / "docker-compose.yml").read_text())
    dot_env = dotenv_values(project / ".env") if (project / ".env").exists() else {}
    services = {}
    for name, service in compose["services"].items():
        environment: dict[str, str] = {}
        for entry in service.get("env_file") or []:
            path = project / (entry["path"] if isinstance(entry, dict) else entry)
            required = entry.get("required", True) if isinstance(entry, dict) else True
            if path.exists():
                environment |= dotenv_values(path)
            else:
                assert not required, f"{name}: its env_file {path.name} is missing"
        declared = service.get("environment") or {}
        if isinstance(declared, list):
            declared = dict(item.split("=", 1) if "=" in item else (item, None) for item in declared)
        for variable, value in declared.items():
            environment[variable] = interpolated(str(value), dot_env) if value is not None else dot_env.get(variable)
        services[name] = environment
    return services


def resolved_by_cli(command: list[str], project: Path) -> dict[str, dict[str, str]]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DJANGO_", "COMPOSE_"))}
    result = subprocess.run(
        [*command, "--project-directory", str(project), "-f", str(project / "docker-compose.yml"), "config",
         "--format", "json"],
        capture_output=True, text=True, timeout=120, env=environment,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return {name: service.get("environment") or {} for name, service in json.loads(result.stdout)["services"].items()}


@pytest.fixture(scope="module")
def environments(tmp_path_factory) -> dict[str, dict[str, str]]:
    project = tmp_path_factory.mktemp("compose")
    shutil.copy(ROOT / "docker-compose.yml", project / "docker-compose.yml")
    (project / ".env").write_text(DOT_ENV)
    command = compose_cli()
    return resolved_by_cli(command, project) if command else resolved_from_yaml(project)


def test_the_services_that_run_django_are_the_ones_built_from_the_image(environments):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    built = {name for name, service in compose["services"].items() if "build" in service}
    assert built == DJANGO_SERVICES <= set(environments)


@pytest.mark.parametrize("service", sorted(DJANGO_SERVICES))
def test_every_django_service_gets_each_smtp_setting_of_dot_env_as_written(environments, service):
    environment = environments[service]
    assert {name: environment.get(name) for name in SMTP} == SMTP
    assert environment["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    # .env also reaches the values compose gives a first-look default, and compose's own network stays.
    assert environment["DJANGO_ALLOWED_HOSTS"] == "sicurezza.comune.example.it"
    assert "@db:5432/" in environment["DATABASE_URL"]


@pytest.mark.parametrize("service", ["db", "redis", "mqtt"])
def test_the_mail_password_does_not_reach_services_that_do_not_run_django(environments, service):
    assert not [name for name in environments[service] if name.startswith("EMAIL_")]


def test_settings_read_every_smtp_variable_the_test_sets():
    settings_source = (ROOT / "observatory" / "settings.py").read_text()
    assert [name for name in SMTP if f'"{name}"' not in settings_source] == []
