from django.contrib.auth.decorators import login_required
from django.urls import path

from . import views

# Every page asks an anonymous visitor to log in first, whatever the id (the link in a beneficiary's e-mail
# leads there after the login); once logged in, someone else's project is the site's 404.
app_name = "beneficiaries"
urlpatterns = [
    path("", views.home, name="home"),
    path("<int:project_id>/", login_required(views.project), name="project"),
    path("<int:project_id>/milestones/<int:milestone_id>/report/", login_required(views.report), name="report"),
    path("<int:project_id>/milestones/<int:milestone_id>/claim/", login_required(views.claim), name="claim"),
    path("receipts/<int:item_id>/", login_required(views.receipt), name="receipt"),
]
