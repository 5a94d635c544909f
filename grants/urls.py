from django.urls import path

from . import views

app_name = "grants"
urlpatterns = [
    path("", views.project_list, name="projects"),
    path("<int:project_id>/", views.project_detail, name="project"),
    path("programme/", views.programme, name="programme"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
