"""`manage.py check --deploy` with the production settings of docs/deployment.md reports no issue, as the docs
promise; the OpenAPI schema generates without a warning too (its warnings are part of the deploy check)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
# The table "Production settings and manage.py check --deploy" of docs/deployment.md, with a real secret key.
PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "osservatorio.comune.example",
    "DJANGO_SECURE_SSL_REDIRECT": "1",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "OBSERVATORY_MAP_TILES_URL": "https://tiles.comune.example/osm/{z}/{x}/{y}.png",
}
# Documented in the same table, needed only when the proxy rewrites the Host header.
ONLY_SOMETIMES = {"DJANGO_CSRF_TRUSTED_ORIGINS"}


def documented_production_variables() -> set[str]:
    text = (BASE_DIR / "docs" / "deployment.md").read_text()
    section = text.split("## Production settings and `manage.py check --deploy`", 1)[1].split("\n## ", 1)[0]
    table = section.split("| Variable | Production value | Why |", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)`", table, re.MULTILINE))


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )


def without_database(env: dict[str, str]) -> dict[str, str]:
    """The environment with DATABASE_URL naming a database that does not exist: the checks and the schema must
    not need one (an image build runs them before any database is there)."""
    url = env.get("DATABASE_URL", "postgis://observatory:observatory@127.0.0.1:5432/observatory")
    return env | {"DATABASE_URL": url.rsplit("/", 1)[0] + "/no_such_database_for_the_checks"}


def production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_"))}
    return without_database(env | PRODUCTION)


def test_the_variables_checked_are_the_documented_ones():
    assert documented_production_variables() == set(PRODUCTION) | ONLY_SOMETIMES


def test_check_deploy_with_the_documented_production_settings_reports_no_issue():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout  # the docs' own words
    assert "System check identified no issues (1 silenced)." in (BASE_DIR / "docs" / "deployment.md").read_text()


def test_the_openapi_schema_validates_without_a_warning(tmp_path):
    schema = str(tmp_path / "schema.yml")
    result = manage(
        "spectacular", "--validate", "--fail-on-warn", "--file", schema, env=without_database(dict(os.environ))
    )
    assert result.returncode == 0, result.stderr
