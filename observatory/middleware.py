"""The project's middleware: a request id on every log line, the Permissions-Policy header, the city's
language first, and staff pages never cached.

Italian first: the language a person chose (cookie) wins, otherwise Italian, whatever the browser asks.

A city's public service speaks the city's language by default; English is one tap away through the
language switch (Django's set_language view sets the cookie). Browser Accept-Language is ignored on
purpose so that every citizen sees the same page first.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from city import logcontext
from city.clientip import from_trusted_proxy


class RequestIdMiddleware:
    """Gives each request an id, logged on every line written while it is handled and sent back as X-Request-ID.

    The id a trusted proxy sends (``OBSERVATORY_TRUSTED_PROXIES``; nginx's ``$request_id``, a load
    balancer's trace id) is kept, so the proxy's access log and ours name the same request; a client
    cannot choose it otherwise. Without one, a new random id.
    """

    HEADER = "HTTP_X_REQUEST_ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = logcontext.acceptable_request_id(request.META.get(self.HEADER)) if from_trusted_proxy(request) else None
        request.request_id = given or logcontext.new_request_id()
        # Kept until the response is finished (ObservatoryConfig.ready clears it on request_finished), so the
        # lines Django logs after the middleware ("Not Found: ...", errors) name the request too.
        logcontext.request_id.set(request.request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class PermissionsPolicyMiddleware:
    """Sends ``OBSERVATORY_PERMISSIONS_POLICY`` (browser features the pages may use) on every answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.OBSERVATORY_PERMISSIONS_POLICY)
        return response


class CityLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class StaffPagesNotStoredMiddleware:
    """No browser or proxy keeps a copy of a staff page or of anything shown to a logged-in person.

    Every answer to an authenticated request, and every answer under the staff URL prefixes (the
    dashboards, moderation, the admin, the login pages; even the redirect an anonymous caller gets
    there), is sent with ``Cache-Control: private, no-store`` (Django's never-cache headers, which add
    no-cache, must-revalidate and max-age=0). Done here, once, so that no new view can forget it.
    """

    STAFF_URL_NAMES = ("dashboard", "reports:moderation", "admin:index", "login")

    def __init__(self, get_response):
        self.get_response = get_response
        self._prefixes: tuple[str, ...] | None = None

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.staff_prefixes()) or _is_authenticated(request):
            add_never_cache_headers(response)
        return response

    def staff_prefixes(self) -> tuple[str, ...]:
        if self._prefixes is None:
            # /accounts/login/ stands for /accounts/ (login, logout, password pages).
            paths = [reverse(name) for name in self.STAFF_URL_NAMES]
            self._prefixes = tuple(path.rsplit("login/", 1)[0] if path.endswith("login/") else path for path in paths)
        return self._prefixes


def _is_authenticated(request) -> bool:
    user = getattr(request, "user", None)
    if user is None:
        return False
    try:
        return bool(user.is_authenticated)
    except Exception:  # the session or user could not be read (database down): nobody is logged in here
        return False
