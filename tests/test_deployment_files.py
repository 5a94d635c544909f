"""The deployment files agree with each other and with the code: docker-compose.yml, the Dockerfile,
the Procfile, .env.example, the README and .ci/run. Plain file reading; no database, no Docker engine."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ("web", "worker", "beat", "mqtt")
# The compose service that runs each Procfile process (the name `mqtt` is the broker's there).
SERVICE_OF_PROCESS = {"web": "web", "worker": "worker", "beat": "beat", "mqtt": "ingest"}
# The files .env.example says it covers, and how each of them reads a variable.
PYTHON_READ = re.compile(r"""\b(?:env|env_bool|env_list|os\.environ\.get|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']""")
PYTHON_INDEX = re.compile(r"""\bos\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]""")
SHELL_DEFAULT = re.compile(r"\$\{([A-Z][A-Z0-9_]*):?-")  # ${NAME:-default}: an input with a fallback
ENV_READERS = ("observatory/settings.py", "gunicorn.conf.py", "dev")


def read(name: str) -> str:
    return (ROOT / name).read_text()


def words(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(word) for word in command]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(read("docker-compose.yml"))


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


def procfile() -> dict[str, list[str]]:
    entries = {}
    for line in read("Procfile").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = shlex.split(command)
    return entries


def documented_variables() -> set[str]:
    # `NAME=value`, or `#NAME=value` for a default that depends on other variables.
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", read(".env.example"), re.MULTILINE))


def variables_read_by(name: str) -> set[str]:
    text = read(name)
    return set(PYTHON_READ.findall(text)) | set(PYTHON_INDEX.findall(text)) | set(SHELL_DEFAULT.findall(text))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    lines = [line for line in read("Dockerfile").splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
        for line in (raw.strip() for raw in joined.splitlines())
        if line
    ]


def dockerfile_arguments(instruction: str) -> list[str]:
    return [arguments for name, arguments in dockerfile_instructions() if name == instruction]


def readme_commands() -> list[tuple[str, str]]:
    """(command, its trailing comment) for each command of the README's first bash block."""
    block = re.search(r"```bash\n(.*?)```", read("README.md"), re.DOTALL)
    assert block, "README.md has no ```bash block"
    commands = []
    for line in block.group(1).splitlines():
        command, _, comment = line.partition(" #")
        if command.strip() and not command.lstrip().startswith("#"):
            commands.append((command.strip(), comment.strip()))
    return commands


# --- docker-compose.yml ---------------------------------------------------------------------


def test_it_is_a_valid_compose_file():
    # The Compose Specification schema ships inside check-jsonschema, so this needs no network.
    check_jsonschema = Path(sys.executable).with_name("check-jsonschema")
    assert check_jsonschema.exists(), "check-jsonschema is in requirements-dev.txt"
    result = subprocess.run(
        [str(check_jsonschema), "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_runs_postgis_redis_web_worker_beat_the_mqtt_broker_and_its_subscriber(services):
    assert {"db", "redis", "web", "worker", "beat", "mqtt", "ingest"} <= set(services)


def test_database_is_postgis_15_keeping_its_data_on_a_named_volume(compose, services):
    db = services["db"]
    assert db["image"].startswith("postgis/postgis:15-")
    data_volumes = [volume.split(":")[0] for volume in db["volumes"] if volume.endswith(":/var/lib/postgresql/data")]
    assert len(data_volumes) == 1
    assert data_volumes[0] in compose["volumes"], "a named volume, not a host directory"


@pytest.mark.parametrize("service", ["db", "redis", "web", "mqtt"])
def test_service_has_a_healthcheck(services, service):
    assert services[service]["healthcheck"]["test"]


def test_web_is_healthy_when_healthz_says_so(services):
    web_check = " ".join(words(services["web"]["healthcheck"]["test"]))
    assert "/healthz" in web_check
    assert "curl" not in web_check, "the python image has no curl"


@pytest.mark.parametrize("process", PROCESSES)
def test_process_command_is_the_procfile_entry(services, process):
    assert words(services[SERVICE_OF_PROCESS[process]]["command"]) == procfile()[process]


def test_subscriber_reaches_the_broker_service(services):
    assert services["ingest"]["environment"]["MQTT_HOST"] == "mqtt"
    assert services["ingest"]["depends_on"]["mqtt"]["condition"] == "service_healthy"


def test_there_is_exactly_one_beat(services):
    beats = [name for name, service in services.items() if "beat" in words(service.get("command") or [])]
    assert beats == ["beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_workers_scale_with_docker_compose_up_scale(services):
    worker = services["worker"]
    assert "container_name" not in worker, "a fixed name allows one container only"
    assert "ports" not in worker, "a fixed host port allows one container only"


@pytest.mark.parametrize("process", PROCESSES)
def test_process_starts_after_migrations_and_healthy_backing_services(services, process):
    depends_on = services[SERVICE_OF_PROCESS[process]]["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["db"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert words(services["migrate"]["command"])[-3:] == ["manage.py", "migrate", "--noinput"]


def test_web_listens_on_all_interfaces_of_its_container(services):
    web = services["web"]
    assert web["environment"]["WEB_BIND"] == "0.0.0.0:8000"
    assert "8000:8000" in web["ports"]


# --- .env.example -----------------------------------------------------------------------------


def test_every_variable_compose_sets_for_the_app_is_documented(services):
    app_services = [service for service in services.values() if "build" in service]
    assert len(app_services) >= len(PROCESSES)
    set_by_compose = {name for service in app_services for name in service.get("environment") or {}}
    assert set_by_compose - documented_variables() == set()


def django_services(services: dict) -> dict[str, dict]:
    """The services built from the image: each runs Django (migrate, web, worker, beat, ingest)."""
    return {name: service for name, service in services.items() if "build" in service}


def test_every_django_service_takes_every_variable_of_dot_env(services):
    assert set(django_services(services)) == {"migrate", "web", "worker", "beat", "ingest"}
    for name, service in django_services(services).items():
        paths = [entry["path"] if isinstance(entry, dict) else entry for entry in service.get("env_file") or []]
        assert ".env" in paths, f"{name} does not read .env"


def test_no_service_blanks_out_a_variable_of_dot_env(services):
    # `NAME:` with no value in `environment` would hide the value `.env` gives that variable.
    for name, service in django_services(services).items():
        blank = [variable for variable, value in (service.get("environment") or {}).items() if value is None]
        assert blank == [], f"{name} blanks {blank}"


def test_compose_points_the_services_at_its_own_database_and_redis(services):
    for name, service in django_services(services).items():
        environment = service["environment"]
        assert "@db:5432/" in environment["DATABASE_URL"], name
        for variable in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
            assert environment[variable].startswith("redis://redis:"), (name, variable)


@pytest.mark.parametrize("reader", ENV_READERS)
def test_every_variable_read_by_the_code_is_documented(reader):
    read_here = variables_read_by(reader)
    assert read_here, f"found no environment variable in {reader}: has the way it reads them changed?"
    assert read_here - documented_variables() == set()


def test_env_example_documents_only_variables_that_are_read():
    read_anywhere = set().union(*(variables_read_by(reader) for reader in ENV_READERS))
    assert documented_variables() - read_anywhere == set()


# --- README and CI ----------------------------------------------------------------------------


def test_readme_starts_with_two_commands_and_ci_runs_the_test_one():
    commands = readme_commands()
    assert len(commands) == 2, commands
    test_commands = [command for command, comment in commands if "test" in f"{command} {comment}".lower()]
    assert len(test_commands) == 1, commands
    ci_execs = [line.strip() for line in read(".ci/run").splitlines() if line.strip().startswith("exec ")]
    assert len(ci_execs) == 1
    assert shlex.split(ci_execs[0])[1:] == shlex.split(test_commands[0])


# --- Dockerfile -------------------------------------------------------------------------------


def test_image_is_python_311_on_debian_bookworm():
    final_stage = dockerfile_arguments("FROM")[-1]
    assert final_stage.startswith("python:3.11-slim-bookworm")


def test_image_installs_gdal_for_geodjango():
    assert any("apt-get install" in run and "gdal-bin" in run.split() for run in dockerfile_arguments("RUN"))


def test_image_compiles_translations_and_collects_static_files():
    runs = " ".join(dockerfile_arguments("RUN"))
    assert "manage.py compilemessages" in runs
    assert "manage.py collectstatic --noinput" in runs


def test_image_runs_the_web_process_as_a_non_root_user():
    assert dockerfile_arguments("USER")[-1] not in {"root", "0"}
    assert "8000" in dockerfile_arguments("EXPOSE")
    # CMD in exec form is a JSON list, which YAML reads too.
    assert yaml.safe_load(dockerfile_arguments("CMD")[-1]) == procfile()["web"]


def test_front_end_stage_uses_a_supported_node_lts():
    node = next(stage for stage in dockerfile_arguments("FROM") if stage.startswith("node:"))
    major = int(re.match(r"node:(\d+)", node).group(1))
    assert major >= 22 and major % 2 == 0, f"{node}: Node 20 left support in April 2026; use an even (LTS) line"


# --- locked dependencies ----------------------------------------------------------------------


def locked(name: str) -> dict[str, tuple[str, list[str]]]:
    """{normalised package name: (version, [hashes])} of a pip-compile lock file."""
    packages: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in read(name).splitlines():
        pin = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if pin:
            current = re.sub(r"[-_.]+", "-", pin.group(1)).lower()
            packages[current] = (pin.group(2), [])
        for digest in re.findall(r"--hash=sha256:([0-9a-f]{64})", line):
            packages[current][1].append(digest)
    return packages


def direct_pins(name: str) -> dict[str, str]:
    pins = {}
    for line in read(name).splitlines():
        pin = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)", line)
        if pin:
            pins[re.sub(r"[-_.]+", "-", pin.group(1)).lower()] = pin.group(2)
    return pins


LOCKS = [
    ("requirements.lock", ["requirements.txt"]),
    ("requirements-dev.lock", ["requirements.txt", "requirements-dev.txt"]),
]


@pytest.mark.parametrize(("lock", "requirements"), LOCKS)
def test_lock_file_pins_every_package_with_its_hashes_at_the_direct_pins(lock, requirements):
    packages = locked(lock)
    assert len(packages) > sum(len(direct_pins(r)) for r in requirements), "transitive packages are locked too"
    assert [name for name, (_version, hashes) in packages.items() if not hashes] == []
    for requirement in requirements:
        for name, version in direct_pins(requirement).items():
            assert packages.get(name, ("missing",))[0] == version, f"{lock}: {name} is not at {requirement}'s {version}"


def test_dev_and_the_image_install_from_the_locks_checking_hashes():
    assert "install -q --require-hashes -r requirements-dev.lock" in read("dev")
    assert any("--require-hashes -r requirements.lock" in run for run in dockerfile_arguments("RUN"))


def test_secrets_and_local_state_stay_out_of_the_build_context():
    ignored = {line.strip() for line in read(".dockerignore").splitlines()}
    assert {".env", ".git", ".venv", "node_modules"} <= ignored
