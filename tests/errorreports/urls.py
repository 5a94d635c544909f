"""The observatory's URLs and /test-failure/, a view that takes a citizen's report as the form does and fails."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from observatory.urls import handler400, handler403, handler404, handler500  # noqa: F401 (the site's error pages)


@csrf_exempt
def failing_view(request: HttpRequest) -> HttpResponse:
    report = request.POST.dict()  # a citizen's report, as a view has it in a local variable
    contact = report.get("contact_email", "")
    raise RuntimeError(f"the report form failed for a report of {len(report)} fields, contact given: {bool(contact)}")


urlpatterns = [path("test-failure/", failing_view), path("", include("observatory.urls"))]
