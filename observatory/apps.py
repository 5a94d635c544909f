from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObservatoryConfig(AppConfig):
    name = "observatory"
    verbose_name = _("Observatory")

    def ready(self):
        from django.core.signals import request_finished

        from city import logcontext

        from . import checks  # noqa: F401  (registers the deploy checks)

        request_finished.connect(logcontext.forget_request, dispatch_uid="observatory-forget-request-id")
