from django.urls import path

from . import views

app_name = "applicants"
urlpatterns = [
    path("", views.home, name="home"),
    path("register/", views.register, name="register"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("login/", views.ApplicantLoginView.as_view(), name="login"),
    path("mine/", views.mine, name="mine"),
    path("calls/<int:call_id>/start/", views.start, name="start"),
    path("applications/<int:draft_id>/", views.draft_view, name="draft"),
    path("applications/<int:draft_id>/documents/<int:attachment_id>/", views.attachment, name="attachment"),
    path("applications/<int:draft_id>/receipt.pdf", views.receipt_pdf, name="receipt"),
    path("applications/<int:draft_id>/withdraw/", views.withdraw, name="withdraw"),
]
