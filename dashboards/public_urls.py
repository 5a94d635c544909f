"""Public pages of the zones, included under /map/zones/ (before the reports' /map/)."""

from django.urls import path

from . import public

urlpatterns = [
    path("<str:code>/", public.public_zone, name="public-zone"),
]
