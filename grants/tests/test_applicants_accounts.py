"""An organisation's contact person registers with e-mail and password, confirms the e-mail by the link the
outbox sends, and logs in to "My applications"; nothing works before the e-mail is confirmed."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

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

    # Before confirming, the login is refused with what to do; the link was sent a moment ago, so no new one.
    response = client.post(reverse("applicants:login"), {"username": "anna@example.org", "password": PASSWORD})
    assert "Conferma prima il tuo indirizzo e-mail" in response.content.decode()
    assert OutboundEmail.objects.filter(kind="grants.applicant.verify").count() == 1

    response = client.get("/" + link_in(email))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.verified_at is not None
    response = client.post(reverse("applicants:login"), {"username": "Anna@Example.org", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("applicants:mine")
    page = client.get(reverse("applicants:mine"))
    assert page.status_code == 200 and "Le mie domande" in page.content.decode()


def _log_in(client, language="it"):
    client.cookies["django_language"] = language
    return client.post(reverse("applicants:login"), {"username": "anna@example.org", "password": PASSWORD})


def test_an_unverified_applicant_gets_at_most_one_new_link_per_15_minutes_and_is_told_when(client):
    register(client)
    links = OutboundEmail.objects.filter(kind="grants.applicant.verify")
    first = links.get()
    sent_at = timezone.localtime(first.created_at)
    for _attempt in range(5):
        page = _log_in(client).content.decode()
    assert links.count() == 1
    assert f"ti abbiamo inviato il link alle {sent_at:%d/%m/%Y %H:%M}" in page
    assert "cartella dello spam" in page
    english = _log_in(client, "en").content.decode()
    assert "we sent you the link at" in english and "spam folder" in english and links.count() == 1

    # 15 minutes later, one new link; then none again for the next 15 minutes.
    links.update(created_at=first.created_at - dt.timedelta(minutes=15, seconds=1))
    page = _log_in(client).content.decode()
    assert links.count() == 2
    assert "ti abbiamo appena inviato un nuovo link" in page and "cartella dello spam" in page
    _log_in(client)
    assert links.count() == 2


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
