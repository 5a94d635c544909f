"""Log lines say when, how bad, which logger and which request or task; liveness and readiness say what is wrong."""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.config
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone

from city import opscounters
from city.outbox import queue_email
from city.tasks import send_email
from conftest import make_user
from indicators import engine
from reports.models import Category, PerceivedSafety
from reports.services import report_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    """The lines the configured console formatter and filter (settings.LOGGING, text format) write."""
    lines: list[str] = []

    class Lines(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    config = settings.LOGGING
    handler = Lines()
    handler.setFormatter(logging.Formatter(config["formatters"]["text"]["format"]))
    from city.logcontext import ContextFilter

    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lines
    root.removeHandler(handler)


def test_a_log_line_names_time_level_logger_and_the_request(log_lines):
    response = Client().get("/no-such-page/")  # django.request logs "Not Found" while handling it
    line = next(line for line in log_lines if "Not Found" in line)
    assert f"request_id={response['X-Request-ID']}" in line
    assert " WARNING django.request " in line and line[:4].isdigit()


def test_a_task_log_line_names_the_task_and_its_id(log_lines, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nothing listens there
    email = queue_email("ada@example.org", "Oggetto", "Testo")
    send_email.apply(args=[email.pk], task_id="3f0c-task-id")
    line = next(line for line in log_lines if "failed (attempt 1)" in line)
    assert "task_id=3f0c-task-id task=city.tasks.send_email" in line and "request_id=-" in line


def test_log_format_json_writes_one_object_per_line():
    code = "import django, logging; django.setup(); logging.getLogger('observatory.test').warning('hello %s', 'json')"
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "observatory.settings"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["message"] == "hello json" and record["level"] == "WARNING"
    assert record["logger"] == "observatory.test" and record["request_id"] == "-" and "time" in record


def test_liveness_asks_nothing_of_the_backing_services(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # even with Redis unreachable
    assert Client().get("/healthz/live").json() == {"status": "up"}


def fresh_indicators(zone_pair):
    category = Category.objects.filter(active=True).first()
    when = timezone.now() - dt.timedelta(days=2)
    report_submit(category=category, location=Point(7.675, 45.065), perceived_safety=PerceivedSafety.VERY_SAFE,
                  occurred_at=when)  # fmt: skip
    engine.recompute_stale()


def test_ready_when_every_sign_of_life_is_fresh(two_zones):
    fresh_indicators(two_zones)
    opscounters.heartbeat("beat")
    opscounters.heartbeat("mqtt_subscriber", connected=1)
    response = Client().get("/healthz/ready")
    assert response.status_code == 200, response.content
    assert response.json()["components"] == {
        "database": "up", "redis": "up", "beat": "up", "mqtt_subscriber": "up", "indicators": "up"
    }  # fmt: skip


def test_not_ready_names_what_is_late_and_officers_read_why(two_zones, settings):
    fresh_indicators(two_zones)
    opscounters.heartbeat("beat")
    opscounters.heartbeat("mqtt_subscriber", connected=1)
    settings.OBSERVATORY_READY_MQTT_MAX_AGE_SECONDS = 0  # its last heartbeat is now too old
    settings.OBSERVATORY_READY_INDICATORS_MAX_AGE_HOURS = 0
    client = Client()
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["components"]["mqtt_subscriber"] == "down" and "details" not in response.json()
    client.force_login(make_user("ready-officer", "officer"))
    details = client.get("/healthz/ready").json()["details"]
    assert "MQTT subscriber" in details["mqtt_subscriber"]["error"] and "h old" in details["indicators"]["error"]


def test_a_deployment_without_mqtt_does_not_wait_for_it(two_zones, settings):
    settings.OBSERVATORY_READY_MQTT = False
    assert "mqtt_subscriber" not in Client().get("/healthz/ready").json()["components"]


def test_metrics_are_read_from_an_allowed_network_and_hidden_from_others(settings):
    settings.OBSERVATORY_METRICS_NETWORKS = ["10.1.0.0/16"]
    assert Client(REMOTE_ADDR="10.1.4.2").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.1").get("/metrics").status_code == 404
    settings.OBSERVATORY_METRICS_NETWORKS = []
    assert Client(REMOTE_ADDR="10.1.4.2").get("/metrics").status_code == 404  # nothing configured: nobody
