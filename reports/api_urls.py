from rest_framework.routers import SimpleRouter

from .api import ReportViewSet

router = SimpleRouter()
router.register("", ReportViewSet, basename="api-reports")
urlpatterns = router.urls
