from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("new/", views.report_new, name="new"),
    path("nearby.json", views.reports_nearby_json, name="nearby"),
    path("audit/new/", views.audit_new, name="audit-new"),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("moderation/bulk/", views.moderation_bulk, name="moderation-bulk"),
    path("moderation/<str:code>/", views.moderation_detail, name="moderation-detail"),
    path("moderation/<str:code>/<slug:action>/", views.moderation_action, name="moderation-action"),
    path("<str:code>/abuse/", views.report_abuse, name="abuse"),
    path("<str:code>/photo.jpg", views.report_photo, name="photo"),
    path("<str:code>/", views.report_status, name="status"),
]
