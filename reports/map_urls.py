from django.urls import path

from . import views

urlpatterns = [
    path("", views.public_map, name="public-map"),
    path("reports.geojson", views.public_map_geojson, name="public-map-geojson"),
    path("clusters.geojson", views.public_map_clusters, name="public-map-clusters"),
]
