"""The seams through which reports (a lower layer) tells cases what happened; each receiver calls a service."""

from . import services


def route_new_report(sender, report, **kwargs) -> None:
    services.report_route(report=report)


def add_assigned_department(sender, report, department, user=None, **kwargs) -> None:
    services.report_add_department(report=report, department=department, user=user)


def keep_case_in_step(sender, report, before, user=None, **kwargs) -> None:
    services.case_reports_in_step(report=report, before=before, user=user)
