"""After AXES_FAILURE_LIMIT wrong passwords a username from one address is locked out: the answer is 429 with
Retry-After (the seconds until the lockout lifts, counting down, not the whole cool-off every time) and a page
in the site's layout and the person's language saying at what time to try again; after the cool-off the right
password logs in again."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from conftest import TEST_PASSWORD, make_user

pytestmark = pytest.mark.django_db
LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


@pytest.fixture
def staff(db):
    return make_user("nightofficer", "officer", is_staff=True)


def fail_until_locked(client: Client, page: str, **headers):
    for _attempt in range(5):
        client.post(page, {"username": "nightofficer", "password": "wrong"}, headers=headers)
    return client.post(page, {"username": "nightofficer", "password": TEST_PASSWORD}, headers=headers)


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_it_answers_429_with_retry_after_the_whole_cool_off_and_an_italian_page(staff, page):
    client = Client()
    locked = fail_until_locked(client, page)
    assert locked.status_code == 429
    assert 895 <= int(locked["Retry-After"]) <= 900  # AXES_COOLOFF_TIME: 15 minutes
    assert "_auth_user_id" not in client.session
    html = locked.content.decode()
    assert '<html lang="it"' in html and "Troppi accessi falliti" in html
    assert "dopo 5 password errate" in html
    ends = timezone.localtime(AccessAttempt.objects.get().attempt_time + dt.timedelta(minutes=15))
    assert f"Puoi riprovare alle {ends:%H:%M}" in html and "tra 15 minuti" in html
    assert 'id="main"' in html or "<main" in html  # the site's layout, not axes' bare text


def test_the_page_speaks_english_to_whoever_chose_english(staff, settings):
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    locked = fail_until_locked(client, "/accounts/login/")
    assert locked.status_code == 429
    html = locked.content.decode()
    assert '<html lang="en"' in html and "Too many failed logins" in html
    ends = timezone.localtime(AccessAttempt.objects.get().attempt_time + dt.timedelta(minutes=15))
    assert f"You can try again at {ends:%H:%M}" in html and "in 15 minutes" in html


def test_retry_after_counts_down_and_a_try_while_locked_does_not_push_it_back(staff):
    client = Client()
    fail_until_locked(client, "/accounts/login/")
    # Ten minutes pass since the failure that caused the lockout (its recorded time moves back).
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=10))
    again = client.post("/accounts/login/", {"username": "nightofficer", "password": "wrong"})
    assert again.status_code == 429
    assert 295 <= int(again["Retry-After"]) <= 300
    assert "tra 5 minuti" in again.content.decode()
    still = client.post("/accounts/login/", {"username": "nightofficer", "password": TEST_PASSWORD})
    assert still.status_code == 429 and 290 <= int(still["Retry-After"]) <= 300


def test_the_lockout_lifts_after_the_cool_off(staff, settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(seconds=2)
    client = Client()
    locked = fail_until_locked(client, "/accounts/login/")
    assert locked.status_code == 429 and 1 <= int(locked["Retry-After"]) <= 2
    time.sleep(int(locked["Retry-After"]) + 0.2)
    response = client.post("/accounts/login/", {"username": "nightofficer", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_an_xhr_login_gets_the_same_429_and_header(staff):
    # Without this callable axes would answer an XMLHttpRequest with its own JSON and no Retry-After.
    locked = fail_until_locked(Client(), "/accounts/login/", x_requested_with="XMLHttpRequest")
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0


def test_without_a_cool_off_it_says_an_administrator_lifts_it_and_promises_no_time(staff, settings):
    settings.AXES_COOLOFF_TIME = None
    locked = fail_until_locked(Client(), "/accounts/login/")
    assert locked.status_code == 429 and "Retry-After" not in locked
    assert "Il blocco dura finché un amministratore non lo toglie." in locked.content.decode()
