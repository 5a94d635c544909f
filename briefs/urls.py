"""URL map of the monthly brief, included under /brief/."""

from django.urls import path

from . import views

app_name = "briefs"
urlpatterns = [
    path("", views.brief_page, name="brief"),
    path("brief.pdf", views.brief_pdf, name="pdf"),
]
