"""Run inside the provider (``django-admin shell < this``): migrate, then its users and the observatory's client."""

import json
import os

from django.contrib.auth.models import User
from django.core.management import call_command
from oauth2_provider.models import Application

call_command("migrate", verbosity=0)
for user in json.loads(os.environ["OIDC_PROVIDER_USERS"]):
    User.objects.create_user(user["username"], email=user["email"], password=user["password"])
Application.objects.create(
    name="Osservatorio",
    client_id=os.environ["OIDC_PROVIDER_CLIENT_ID"],
    client_secret=os.environ["OIDC_PROVIDER_CLIENT_SECRET"],
    client_type=Application.CLIENT_CONFIDENTIAL,
    authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    redirect_uris=os.environ["OIDC_PROVIDER_REDIRECT_URI"],
    algorithm=Application.RS256_ALGORITHM,
    skip_authorization=True,
)
