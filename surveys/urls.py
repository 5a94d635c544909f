from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("", views.survey_list, name="list"),
    path("<slug:code>/", views.campaign_answer, name="answer"),
    path("<slug:code>/thanks/", views.campaign_thanks, name="thanks"),
    path("<slug:code>/opt-out/", views.campaign_opt_out, name="opt-out"),
    path("<slug:code>/status/", views.campaign_status, name="status"),
    path("<slug:code>/invitations.csv", views.campaign_letters_csv, name="letters"),
    path("<slug:code>/send/<slug:what>/", views.campaign_send, name="send"),
]
