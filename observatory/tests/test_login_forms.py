"""The staff login page and the admin's login refuse what no account can have with a form error, before any
authentication or lockout bookkeeping runs: a username longer than the column, NUL bytes."""

import pytest
from axes.models import AccessAttempt

from conftest import TEST_PASSWORD, make_user

pytestmark = pytest.mark.django_db
LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_a_username_longer_than_any_account_is_a_form_error(client, page):
    response = client.post(page, {"username": "a" * 10_000, "password": "x"})
    assert response.status_code == 200
    assert "150" in response.content.decode()  # the limit, in the page's language
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize("page", LOGIN_PAGES)
@pytest.mark.parametrize("field", ["username", "password"])
def test_a_nul_byte_is_a_form_error(client, page, field):
    data = {"username": "officer", "password": "x"} | {field: "off\x00icer"}
    response = client.post(page, data)
    assert response.status_code == 200
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_a_username_of_the_longest_allowed_length_still_logs_in(client, page):
    make_user("u" * 150, "officer", is_staff=True)
    response = client.post(page, {"username": "u" * 150, "password": TEST_PASSWORD})
    assert response.status_code == 302
