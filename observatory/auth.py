"""Logging in: django-axes' brute-force protection for every login that comes with a request, and the login
forms (the staff login page and the admin's), which refuse what no account can have before anything is checked."""

from __future__ import annotations

import datetime as dt
import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


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


def lockout_ends_at(request: HttpRequest, credentials: dict | None) -> dt.datetime | None:
    """When the lockout of this request's username and address lifts: its last recorded failure plus the cool-off
    (None without a cool-off: then only an administrator lifts it).

    django-axes counts only the failures newer than the cool-off, and the attempts made while locked out are not
    recorded (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT`` off), so the lockout ends a cool-off after the
    failure that caused it: a try in between does not push back the time the page gave."""
    cool_off = get_cool_off(request)
    if cool_off is None:
        return None
    times = [
        attempts.aggregate(latest=Max("attempt_time"))["latest"]
        for attempts in AxesDatabaseHandler().get_user_attempts(request, credentials)
    ]
    return max((t for t in times if t is not None), default=timezone.now()) + cool_off


def lockout_response(request: HttpRequest, credentials: dict | None = None) -> HttpResponse:
    """django-axes' answer to a locked-out login (``AXES_LOCKOUT_CALLABLE``): 429 Too Many Requests, with
    ``Retry-After`` (the seconds until the lockout lifts) and a page in the site's layout and the person's
    language saying at what time, in the city's time zone, they may try again."""
    ends_at = lockout_ends_at(request, credentials)
    ctx = {"failure_limit": get_failure_limit(request, credentials), "try_again_at": None}
    wait = None
    if ends_at is not None:
        wait = max(1, math.ceil((ends_at - timezone.now()).total_seconds()))
        ctx |= {"retry_after": wait, "minutes": math.ceil(wait / 60), "try_again_at": timezone.localtime(ends_at)}
    response = render(request, settings.AXES_LOCKOUT_TEMPLATE, ctx, status=429)
    if wait is not None:
        response["Retry-After"] = str(wait)
    return response


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
