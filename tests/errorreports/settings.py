"""The production settings with one more URL, a view that fails (tests/test_error_reports.py runs gunicorn on it)."""

from observatory.settings import *  # noqa: F403 (the production settings, SENTRY_DSN from the environment)

ROOT_URLCONF = "tests.errorreports.urls"
