from django.urls import path, re_path

from . import views

app_name = "opendata"
urlpatterns = [
    path("", views.opendata_index, name="index"),
    re_path(r"^(?P<name>[a-z0-9-]+)\.(?P<fmt>csv|geojson|ttl|jsonld)$", views.opendata_download, name="file"),
]
