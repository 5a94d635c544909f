"""An organisation's contact person registers with e-mail and password, confirms the e-mail by the link the
outbox sends, and logs in to "My applications"; nothing works before the e-mail is confirmed."""

import re

import pytest
from django.urls import reverse

from city.models import OutboundEmail
from grants.models import ApplicantAccount
from grants.tests.applicants_support import TEST_PASSWORD, applicant

pytestmark = pytest.mark.django_db

PASSWORD = "notte-sicura-2027"


def register(client, email="anna@example.org", password=PASSWORD, **extra):
    return client.post(
        reverse("applicants:register"),
        {
            "full_name": "Anna Bianchi",
            "email": email,
            "password1": password,
            "password2": password,
            "privacy": "on",
            **extra,
        },
    )


def link_in(email: OutboundEmail) -> str:
    return re.search(r"https?://\S+/apply/verify/\S+/", email.body).group(0).split("://", 1)[1].split("/", 1)[1]


def test_it_registers_verifies_by_the_link_and_logs_in(client):
    response = register(client)
    assert response.status_code == 200 and "anna@example.org" in response.content.decode()
    account = ApplicantAccount.objects.get(user__email="anna@example.org")
    assert account.verified_at is None and account.language == "it"
    email = OutboundEmail.objects.get(kind="grants.applicant.verify")
    assert email.to == "anna@example.org" and email.language == "it" and "Conferma" in email.subject

    # Before confirming, the login is refused with what to do, and a new link is sent.
    response = client.post(reverse("applicants:login"), {"username": "anna@example.org", "password": PASSWORD})
    assert "Conferma prima il tuo indirizzo e-mail" in response.content.decode()
    assert OutboundEmail.objects.filter(kind="grants.applicant.verify").count() == 2

    response = client.get("/" + link_in(email))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.verified_at is not None
    response = client.post(reverse("applicants:login"), {"username": "Anna@Example.org", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("applicants:mine")
    page = client.get(reverse("applicants:mine"))
    assert page.status_code == 200 and "Le mie domande" in page.content.decode()


def test_a_tampered_link_is_refused_with_a_clear_message(client):
    register(client)
    link = link_in(OutboundEmail.objects.get(kind="grants.applicant.verify"))
    response = client.get("/" + link.replace("/verify/", "/verify/x"))
    assert response.status_code == 400 and "non è valido" in response.content.decode()
    assert ApplicantAccount.objects.get().verified_at is None


def test_weak_passwords_and_a_second_account_on_the_same_email_are_refused(client):
    response = register(client, password="12345678")
    assert response.status_code == 200 and not ApplicantAccount.objects.exists()
    assert "troppo comune" in response.content.decode() or "troppo corta" in response.content.decode()
    applicant("anna@example.org")
    response = register(client)
    assert "Esiste già un account con questo indirizzo" in response.content.decode()
    assert ApplicantAccount.objects.count() == 1


def test_staff_cannot_use_the_applicants_login_and_see_no_applications(client):
    from conftest import make_user

    make_user("officer-1", "officer")
    response = client.post(reverse("applicants:login"), {"username": "officer-1", "password": TEST_PASSWORD})
    assert "non è un account di chi presenta domande" in response.content.decode()
    client.login(username="officer-1", password=TEST_PASSWORD)
    assert client.get(reverse("applicants:mine")).status_code == 404


def test_wrong_passwords_lock_the_account_out_like_the_staff_login(client):
    applicant("maria@example.org")
    for _ in range(5):
        client.post(reverse("applicants:login"), {"username": "maria@example.org", "password": "wrong"})
    response = client.post(reverse("applicants:login"), {"username": "maria@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 429
