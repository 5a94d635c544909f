from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/tasks/<int:task_id>/<slug:action>/", views.task_action, name="task-action"),
    path("<int:case_id>/public-note/", views.case_public_note, name="public-note"),
    path("<int:case_id>/reopen/", views.case_reopen, name="reopen"),
    path("new/", views.case_new, name="new"),
    path("from-alert/<int:alert_id>/", views.case_from_alert, name="from-alert"),
    path("fixed/<str:token>/", views.fixed_check, name="fixed-check"),
]
