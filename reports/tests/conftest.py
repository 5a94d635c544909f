"""Each test starts with a fresh per-IP submission count, so the rate limit never leaks between tests."""

import pytest

from reports.ratelimit import rate_limit_reset


@pytest.fixture(autouse=True)
def _fresh_rate_limit(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    rate_limit_reset("127.0.0.1")
    yield
    rate_limit_reset("127.0.0.1")
