from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report_lookup, name="lookup"),
    path("new/", views.report_new, name="new"),
    path("nearby.json", views.reports_nearby_json, name="nearby"),
    path("places/layers.geojson", views.map_layers, name="map-layers"),
    path("places/where.json", views.place_where, name="place-where"),
    path("places/streets.json", views.street_search, name="street-search"),
    path("audit/new/", views.audit_new, name="audit-new"),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("moderation/bulk/", views.moderation_bulk, name="moderation-bulk"),
    path("moderation/<str:code>/", views.moderation_detail, name="moderation-detail"),
    path("moderation/<str:code>/<slug:action>/", views.moderation_action, name="moderation-action"),
    path("<str:code>/abuse/", views.report_abuse, name="abuse"),
    path("<str:code>/photo.jpg", views.report_photo, name="photo"),
    path("<str:code>/", views.report_status, name="status"),
]
