"""Login through an OpenID Connect provider, as SPID and CIE reach the city's services through a broker.

The provider is real: django-oauth-toolkit with OIDC on, started as its own process (grants/tests/oidc_provider).
The person's browser is a ``requests`` session at the provider and the test client at the observatory; the
observatory exchanges the code for tokens, checks the RS256 ID token against the provider's JWKS and reads
userinfo over real HTTP. People are matched to accounts the city created, by fiscal number or e-mail; nobody
else gets in and no account is created.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import User
from django.urls import reverse

from conftest import make_user
from grants.beneficiaries.models import OrganisationMember
from grants.tests.conftest import award, make_call, make_ranked
from tests.processes import BASE_DIR, OUTPUT_DIR, free_port, stop, wait_for_port

pytestmark = pytest.mark.django_db
CLIENT_ID, CLIENT_SECRET = "osservatorio", "segreto-del-client-di-prova"
PASSWORD = "password-all-idp-1"
CALLBACK = "http://testserver/accounts/oidc/callback/"
PEOPLE = [  # who can log in at the provider
    {"username": "TINIT-RSSMRA80A01L219X", "email": "mario.rossi@posta.example", "password": PASSWORD},
    {"username": "laura", "email": "Laura.Verdi@comune.example", "password": PASSWORD},
    {"username": "TINIT-BNCGNN75B02L219Y", "email": "sconosciuto@posta.example", "password": PASSWORD},
]


@pytest.fixture(scope="module")
def provider(tmp_path_factory) -> str:
    """django-oauth-toolkit's OIDC provider on a free port; yields its base URL."""
    workdir = tmp_path_factory.mktemp("oidc-provider")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "grants.tests.oidc_provider.settings",
        "PYTHONPATH": str(BASE_DIR),
        "OIDC_PROVIDER_DB": str(workdir / "provider.sqlite3"),
        "OIDC_PROVIDER_RSA_KEY": pem.decode(),
        "OIDC_PROVIDER_USERS": json.dumps(PEOPLE),
        "OIDC_PROVIDER_CLIENT_ID": CLIENT_ID,
        "OIDC_PROVIDER_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_PROVIDER_REDIRECT_URI": CALLBACK,
    }
    setup = (BASE_DIR / "grants/tests/oidc_provider/setup_provider.py").read_text()
    subprocess.run([sys.executable, "-m", "django", "shell", "-c", setup], env=env, cwd=BASE_DIR, check=True)
    port = free_port()
    OUTPUT_DIR.mkdir(exist_ok=True)
    log = (OUTPUT_DIR / "oidc-provider.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    if not wait_for_port(port, process, timeout=30, poll=0.2):
        stop(process)
        pytest.fail(f"the OIDC provider did not start; see {log.name}")
    yield f"http://127.0.0.1:{port}"
    stop(process)
    log.close()


@pytest.fixture
def oidc_on(settings, provider):
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider}/o/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider}/o/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{provider}/o/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{provider}/o/.well-known/jwks.json"
    return provider


def log_in_at_the_provider(client, username: str, next_url: str = "/projects/beneficiary/"):
    """The whole authorization-code flow; returns the observatory's answer to the provider's redirect back."""
    start = client.get(reverse("oidc_authentication_init"), {"next": next_url})
    assert start.status_code == 302
    authorize = start["Location"]
    assert "code_challenge=" in authorize and "nonce=" in authorize
    browser = requests.Session()
    login = browser.get(authorize, timeout=10)  # the provider asks the person to log in
    assert login.status_code == 200 and "/accounts/login/" in login.url
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    next_at_provider = unescape(re.search(r'name="next" value="([^"]*)"', login.text).group(1))
    answer = browser.post(
        login.url,
        data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD, "next": next_at_provider},
        headers={"Referer": login.url},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:500]
    origin = urlsplit(login.url)._replace(path="", query="").geturl()
    back = browser.get(origin + answer.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"].startswith(CALLBACK), back.text[:500]
    callback = urlsplit(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


@pytest.fixture
def member(grid, evaluator):
    """Mario Rossi acts for a funded organisation; the grants office recorded his codice fiscale."""
    project = award(make_ranked(make_call(), evaluator), "30000.00", title_it="Piazza viva", title_en="Lively square")
    user = make_user("mario", email="mario@associazione.example")  # another e-mail than the provider's
    OrganisationMember.objects.create(organisation=project.organisation, user=user, fiscal_number="RSSMRA80A01L219X")
    return user, project


def test_a_member_logs_in_with_the_fiscal_number_and_lands_on_the_projects(client, oidc_on, member):
    user, _project = member
    answer = log_in_at_the_provider(client, "TINIT-RSSMRA80A01L219X")
    assert answer.status_code == 302 and answer["Location"] == "/projects/beneficiary/"
    assert int(client.session["_auth_user_id"]) == user.pk
    page = client.get("/projects/beneficiary/")
    assert page.status_code == 200 and "Piazza viva" in page.content.decode()


def test_staff_log_in_by_their_e_mail(client, oidc_on, grid):
    staff = make_user("laura-verdi", "grants_admin", is_staff=True, email="laura.verdi@comune.example")
    answer = log_in_at_the_provider(client, "laura", next_url="/projects/programme/")
    assert answer["Location"] == "/projects/programme/"
    assert int(client.session["_auth_user_id"]) == staff.pk


def test_someone_without_an_account_is_not_let_in_and_no_account_is_made(client, oidc_on, member):
    users_before = User.objects.count()
    answer = log_in_at_the_provider(client, "TINIT-BNCGNN75B02L219Y")
    assert answer.status_code == 302 and answer["Location"] == "/accounts/login/?oidc=failed"
    assert "_auth_user_id" not in client.session
    assert "non è collegata a un account" in client.get(answer["Location"]).content.decode()
    assert User.objects.count() == users_before
    assert client.get("/projects/beneficiary/").status_code == 302  # still anonymous: to the login


def test_an_inactive_account_is_not_let_in(client, oidc_on, member):
    user, _project = member
    User.objects.filter(pk=user.pk).update(is_active=False)
    log_in_at_the_provider(client, "TINIT-RSSMRA80A01L219X")
    assert "_auth_user_id" not in client.session


def test_the_login_page_offers_the_provider_only_when_configured(client, settings, oidc_on):
    assert "Entra con SPID / CIE" in client.get(reverse("login")).content.decode()
    settings.OIDC_RP_CLIENT_ID = ""
    assert 'id="oidc-login"' not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback"), {"code": "x", "state": "y"}).status_code == 404


def test_a_forged_callback_logs_nobody_in(client, oidc_on, member):
    client.get(reverse("oidc_authentication_init"))
    answer = client.get(reverse("oidc_authentication_callback"), {"code": "invented", "state": "invented"})
    assert answer.status_code in (302, 400) and "_auth_user_id" not in client.session


def test_a_code_the_provider_refuses_or_a_provider_that_does_not_answer_is_a_refused_login(client, settings, oidc_on):
    for token_endpoint in (settings.OIDC_OP_TOKEN_ENDPOINT, f"http://127.0.0.1:{free_port()}/o/token/"):
        settings.OIDC_OP_TOKEN_ENDPOINT = token_endpoint
        start = client.get(reverse("oidc_authentication_init"))
        state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
        answer = client.get(reverse("oidc_authentication_callback"), {"code": "invented-code", "state": state})
        assert answer.status_code == 302 and answer["Location"] == "/accounts/login/?oidc=failed"
        assert "_auth_user_id" not in client.session


def test_a_deactivated_account_is_logged_out_of_its_oidc_session(client, oidc_on, member):
    user, _project = member
    log_in_at_the_provider(client, "TINIT-RSSMRA80A01L219X")
    assert client.get("/projects/beneficiary/").status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("/projects/beneficiary/").status_code == 302  # to the login: anonymous now
