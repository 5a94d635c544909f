"""API routes of the surveys, included under /api/v1/surveys/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import CampaignViewSet, EstimateCsv, EstimateGeoJson, EstimateList

router = SimpleRouter()
router.register("", CampaignViewSet, basename="api-surveys")
urlpatterns = [
    path("<slug:campaign>/estimates/", EstimateList.as_view(), name="api-survey-estimates"),
    # Exports take the list's filters; beside the list, named by their format.
    path("<slug:campaign>/estimates.csv", EstimateCsv.as_view(), name="api-survey-estimates-csv"),
    path("<slug:campaign>/estimates.geojson", EstimateGeoJson.as_view(), name="api-survey-estimates-geojson"),
    *router.urls,
]
