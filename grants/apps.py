from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = _("Grants and funded projects")

    def ready(self) -> None:
        # The applicants' area: notices on the office's steps, and its beat task (Celery finds grants.tasks
        # by itself, not a package's module).
        from grants.applicants import receivers, tasks  # noqa: F401
        from grants.beneficiaries import tasks as beneficiary_tasks  # noqa: F401  (the report reminders' beat task)
