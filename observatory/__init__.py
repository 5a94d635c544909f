"""The observatory project package and core app: settings, urls, Celery app, zones, night slots, indicators."""

from .celery import app as celery_app

__all__ = ("celery_app",)
