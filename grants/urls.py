from django.urls import include, path

from . import views

app_name = "grants"
urlpatterns = [
    path("", views.project_list, name="projects"),
    path("<int:project_id>/", views.project_detail, name="project"),
    path("programme/", views.programme, name="programme"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("calls/<int:call_id>/", views.call_detail, name="call"),
    path("calls/<int:call_id>/graduatoria.csv", views.graduatoria_csv, name="graduatoria_csv"),
    path("calls/<int:call_id>/graduatoria.json", views.graduatoria_json, name="graduatoria_json"),
    path("calls/<int:call_id>/declaration/", views.commission_declaration, name="declaration"),
    path("transparency/", views.transparency, name="transparency"),
    path("transparency/<int:year>.csv", views.transparency_csv, name="transparency_csv"),
    path("transparency/<int:year>.json", views.transparency_json, name="transparency_json"),
    # The beneficiaries' area (grants/beneficiaries/): members of a funded organisation report and claim.
    path("beneficiary/", include("grants.beneficiaries.urls")),
]
