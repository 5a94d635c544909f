"""Login brute-force protection: django-axes' backend, for every login that comes with a request."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes locks a username from an address out after AXES_FAILURE_LIMIT failures.

    Every login over HTTP (the login page, the admin) passes its request and is checked. An
    ``authenticate()`` without a request (the test client's ``login``, a management command) has no
    remote client to lock out: axes would raise, so it is left to the next backend, unchecked.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
