"""/healthz tells whether the database, Redis and Celery are reachable, and never raises.

Anyone gets up or down per component; only staff (officers) get the details, whose errors name internal
hosts and ports.
"""

import pytest

from conftest import make_user

pytestmark = pytest.mark.django_db
COMPONENTS = {"database", "redis", "celery"}


def test_it_is_503_with_each_component_named_when_no_worker_answers(client):
    response = client.get("/healthz")
    body = response.json()
    assert set(body["components"]) == COMPONENTS
    assert body["components"]["database"] == "up"
    assert body["components"]["redis"] == "up"
    if body["components"]["celery"] == "down":
        assert response.status_code == 503
        assert body["status"] == "down"


def redis_unreachable(settings):
    settings.REDIS_URL = "redis://127.0.0.1:6399/0"  # nothing listens there
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6399/0"


def test_it_is_503_when_redis_is_unreachable(client, settings):
    redis_unreachable(settings)
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["components"]["redis"] == "down"
    assert body["components"]["celery"] == "down"
    assert body["components"]["database"] == "up"


def test_anonymous_callers_get_only_up_or_down(client, settings):
    redis_unreachable(settings)
    response = client.get("/healthz")
    assert response.json() == {
        "status": "down",
        "components": {"database": "up", "redis": "down", "celery": "down"},
    }
    text = response.content.decode()
    for secret in ("127.0.0.1", "6399", "Error", "ms", "timeout"):
        assert secret not in text


@pytest.mark.parametrize("role", ["officer", "superuser"])
def test_staff_also_get_each_components_error_or_timing(client, settings, role):
    redis_unreachable(settings)
    user = make_user(f"health-{role}", *(["officer"] if role == "officer" else []), is_superuser=role == "superuser")
    client.force_login(user)
    body = client.get("/healthz").json()
    assert body["components"]["redis"] == "down"
    assert "127.0.0.1" in body["details"]["redis"]["error"]
    assert body["details"]["database"]["status"] == "up" and body["details"]["database"]["ms"] >= 0


@pytest.mark.parametrize("role", ["moderator", "grants_admin", "outsider"])
def test_other_logged_in_users_get_what_anonymous_callers_get(client, settings, role):
    redis_unreachable(settings)
    client.force_login(make_user(f"health-{role}", *([] if role == "outsider" else [role])))
    body = client.get("/healthz").json()
    assert "details" not in body
    assert "127.0.0.1" not in str(body)


def test_it_answers_json_503_when_the_database_check_fails(client, monkeypatch):
    from observatory import health

    def broken():
        raise RuntimeError("connection to db.internal:5432 refused")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["components"]["database"] == "down"
    assert "db.internal" not in response.content.decode()


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_other_methods_are_405_in_json_saying_to_use_get(client, method):
    response = getattr(client, method)("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert "GET" in response.json()["detail"]


def test_the_public_footer_does_not_link_it(client):
    assert "/healthz" not in client.get("/").content.decode()
