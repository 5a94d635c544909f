from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """Intersectoral work: routing rules, cases with one task per department, deadlines, notifications."""

    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from reports.signals import report_assigned, report_status_changed, report_submitted

        from . import receivers

        report_submitted.connect(receivers.route_new_report, dispatch_uid="cases.route_new_report")
        report_assigned.connect(receivers.add_assigned_department, dispatch_uid="cases.add_assigned_department")
        report_status_changed.connect(receivers.keep_case_in_step, dispatch_uid="cases.keep_case_in_step")
