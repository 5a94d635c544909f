"""/healthz tells whether the database, Redis and Celery are reachable, and never raises."""

import pytest

pytestmark = pytest.mark.django_db


def test_it_is_503_with_each_component_named_when_no_worker_answers(client):
    response = client.get("/healthz")
    body = response.json()
    assert set(body["components"]) == {"database", "redis", "celery"}
    assert body["components"]["database"]["status"] == "ok"
    assert body["components"]["redis"]["status"] == "ok"
    if body["components"]["celery"]["status"] == "down":
        assert response.status_code == 503
        assert body["status"] == "down"


def test_it_is_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["components"]["redis"]["status"] == "down"
    assert body["components"]["celery"]["status"] == "down"
    assert body["components"]["database"]["status"] == "ok"


def test_it_answers_json_503_when_the_database_check_fails(client, monkeypatch):
    from observatory import health

    def broken():
        raise RuntimeError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["components"]["database"] == {"status": "down", "error": "RuntimeError: connection refused"}
