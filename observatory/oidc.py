"""Logging in through the city's OpenID Connect broker, the way SPID and CIE reach a municipality's services.

mozilla-django-oidc is the client (authorization-code flow with PKCE and nonce, ID token checked against the
provider's JWKS). It is on only when its settings are set (``oidc_enabled``): otherwise its two pages answer
404 and the backend declines every login, so a deployment without a broker is exactly as before.

Nobody gets an account by logging in: the person is matched to an account the city created. First by the
fiscal-number claim (SPID's ``fiscalNumber`` is ``TINIT-<codice fiscale>``) against the tax code the grants
office recorded on a beneficiary's member (``grants.beneficiaries.models.OrganisationMember``), then by the
e-mail claim (unless the provider says it is not verified) against the account's e-mail. More than one
match, or none, is a refused login.
"""

from __future__ import annotations

import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.urls import path, reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from grants.beneficiaries.models import OrganisationMember

from .auth import LoginForm

logger = logging.getLogger(__name__)

REQUIRED_SETTINGS = (
    "OIDC_RP_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
)


def oidc_enabled() -> bool:
    return all(getattr(settings, name, "") for name in REQUIRED_SETTINGS)


def fiscal_number_of(claims: dict) -> str:
    """The codice fiscale in the claims, upper case, without SPID's ``TINIT-`` prefix; "" if there is none."""
    value = str(claims.get(settings.OIDC_FISCAL_NUMBER_CLAIM) or claims.get("fiscalNumber") or "").strip().upper()
    return value.removeprefix("TINIT-")


class CityOIDCBackend(OIDCAuthenticationBackend):
    """Matches the person to an existing, active account; never creates one."""

    def authenticate(self, request, **kwargs):
        if not oidc_enabled() or "username" in kwargs or "password" in kwargs:
            return None  # a password login, or no broker configured
        try:
            return super().authenticate(request, **kwargs)
        except (requests.RequestException, SuspiciousOperation, jwt.PyJWTError, ValueError, KeyError) as error:
            # The broker refused the code (expired, replayed, forged), did not answer, or sent a token that does
            # not verify: a refused login, shown on the login page, never a server error.
            logger.warning("OpenID Connect login refused: %s", type(error).__name__)
            return None

    def get_user(self, user_id):
        """As Django's own backend: a deactivated account's session no longer logs it in."""
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def verify_claims(self, claims) -> bool:
        return bool(claims.get("sub")) and bool(fiscal_number_of(claims) or claims.get("email"))

    def filter_users_by_claims(self, claims):
        users = get_user_model().objects.filter(is_active=True)
        fiscal_number = fiscal_number_of(claims)
        if fiscal_number:
            ids = set(OrganisationMember.objects.filter(fiscal_number=fiscal_number).values_list("user_id", flat=True))
            if ids:
                return users.filter(pk__in=ids)
        email = (claims.get("email") or "").strip()
        if not email or claims.get("email_verified") is False:
            return users.none()
        return users.filter(email__iexact=email)

    def describe_user_by_claims(self, claims) -> str:
        return "fiscal number or e-mail of subject {}".format(claims.get("sub"))  # no personal data in the log


class _EnabledOnly:
    def dispatch(self, request, *args, **kwargs):
        if not oidc_enabled():
            raise Http404("OpenID Connect login is not configured.")
        return super().dispatch(request, *args, **kwargs)


class AuthenticateView(_EnabledOnly, OIDCAuthenticationRequestView):
    pass


class CallbackView(_EnabledOnly, OIDCAuthenticationCallbackView):
    pass


class LoginView(auth_views.LoginView):
    """Staff land on the dashboard as before; a beneficiary's member with nowhere else to go, on their projects."""

    authentication_form = LoginForm

    def get_default_redirect_url(self):
        user = self.request.user
        if not user.is_staff and OrganisationMember.objects.filter(user=user).exists():
            return reverse("grants:beneficiaries:home")
        return super().get_default_redirect_url()


def login_audience(next_path: str) -> str:
    """Whom the login page speaks to: the beneficiaries when it leads into their area (where its pages and its
    e-mails send them), the staff otherwise. One form and one backend either way."""
    return "beneficiary" if (next_path or "").startswith(reverse("grants:beneficiaries:home")) else "staff"


def login(request):
    """The login page, with the broker's button when one is configured, worded for who is logging in."""
    context = {
        "audience": login_audience(request.POST.get("next") or request.GET.get("next", "")),
        "oidc_enabled": oidc_enabled(),
        "oidc_label": settings.OIDC_PROVIDER_LABEL,
        "oidc_failed": oidc_enabled() and request.GET.get("oidc") == "failed",
    }
    return LoginView.as_view(extra_context=context)(request)


urlpatterns = [
    path("oidc/authenticate/", AuthenticateView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", CallbackView.as_view(), name="oidc_authentication_callback"),
]
