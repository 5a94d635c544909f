"""The project shell: settings, urls, the Celery app, wsgi, middleware, login throttling and the health check."""

from .celery import app as celery_app

__all__ = ("celery_app",)
