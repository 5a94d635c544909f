"""Logging in: django-axes' brute-force protection for every login that comes with a request, and the login
forms (the staff login page and the admin's), which refuse what no account can have before anything is checked."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


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


class _UsernameLengthMixin:
    """A username longer than the User model's column is a form error, before authenticate() runs.

    Django's login form only sets the field's max_length attribute, without its validator; a longer
    username then reached authenticate(), and django-axes, recording the failure, could not store it
    (a 500). The limit is the model's own column size.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.max_length = self.username_field.max_length or 254
        field.validators.append(MaxLengthValidator(field.max_length))


class LoginForm(_UsernameLengthMixin, AuthenticationForm):
    pass


class AdminLoginForm(_UsernameLengthMixin, AdminAuthenticationForm):
    pass
