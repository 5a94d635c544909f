from django.urls import path

from . import views

app_name = "beneficiaries"
urlpatterns = [
    path("", views.home, name="home"),
    path("<int:project_id>/", views.project, name="project"),
    path("<int:project_id>/milestones/<int:milestone_id>/report/", views.report, name="report"),
    path("<int:project_id>/milestones/<int:milestone_id>/claim/", views.claim, name="claim"),
    path("receipts/<int:item_id>/", views.receipt, name="receipt"),
]
