"""URL map of the interventions register, included under /interventions/."""

from django.urls import path

from . import views

app_name = "interventions"
urlpatterns = [
    path("", views.intervention_list, name="list"),
    path("new/", views.intervention_new, name="new"),
    path("<int:pk>/", views.intervention_detail, name="detail"),
]
