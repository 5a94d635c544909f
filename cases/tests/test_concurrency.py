"""Two coordinators assigning the same task at the same moment leave one consistent state: the row lock
serialises them and the second, whose page showed the old owner, is refused instead of overwriting."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cases import services
from cases.models import CaseEvent, Task
from city.models import DepartmentMembership

from .conftest import member

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_coordinators_assigning_at_once_leave_one_owner_and_one_trail_entry(city, dark_case):
    second = member("lux-coord-2", city["lighting"], DepartmentMembership.Role.COORDINATOR)
    task = dark_case.tasks.get(department=city["lighting"])
    owners = {"lux-coord": city["lighting_member"], "lux-coord-2": second}
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def assign(coordinator):
        try:
            barrier.wait(timeout=10)
            services.task_assign(task=Task.objects.get(pk=task.pk), user=coordinator,
                                 owner_id=owners[coordinator.username].pk, priority="high",
                                 due_date=task.due_date, seen_owner_id=None)  # fmt: skip
            outcomes[coordinator.username] = "assigned"
        except ValidationError:
            outcomes[coordinator.username] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=assign, args=(c,)) for c in (city["lighting_coordinator"], second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["assigned", "refused"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "assigned")
    task.refresh_from_db()
    assert task.owner == owners[winner]
    assigned = CaseEvent.objects.filter(task=task, action=CaseEvent.Action.ASSIGNED)
    assert [event.data["owner"] for event in assigned] == [owners[winner].username]


def test_a_moderator_and_a_department_acting_on_one_case_at_once_both_succeed(city, dark_case, dark_report):
    """The moderator's step locks the report, then its case; the department's closing locks the case, then its
    reports. Held back at those points until both hold their first lock, PostgreSQL finds the deadlock and cancels
    one: that one runs again by itself, so neither person sees an error and the case ends consistent."""
    from django.db.models.signals import post_save

    from conftest import make_user
    from reports.models import Report, StatusChange
    from reports.services import report_set_status

    moderator = make_user("mod-deadlock", "moderator")
    police = dark_case.tasks.get(department=city["police"])
    services.task_close(task=police, user=city["police_member"], reason="fixed", note="Pattuglia passata.")
    lighting = dark_case.tasks.get(department=city["lighting"])
    barrier = threading.Barrier(2, timeout=15)
    held_back: set[str] = set()  # each person waits once, on their first attempt only
    errors: dict[str, BaseException] = {}

    def hold(who):
        if threading.current_thread().name == who and who not in held_back:
            held_back.add(who)
            barrier.wait()  # both now hold their first lock

    def after_report_locked(**kwargs):
        hold("moderator")

    def after_case_locked(instance, **kwargs):
        if instance.pk == lighting.pk:
            hold("department")

    post_save.connect(after_report_locked, sender=StatusChange, weak=False, dispatch_uid="deadlock-test-report")
    post_save.connect(after_case_locked, sender=Task, weak=False, dispatch_uid="deadlock-test-case")

    def run(who, action):
        try:
            action()
        except BaseException as error:  # the test reports whatever went wrong
            errors[who] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(name="moderator", target=run, args=("moderator", lambda: report_set_status(
            report=Report.objects.get(pk=dark_report.pk), status=Report.Status.REFERRED, user=moderator,
            public_note="Segnalata anche all'azienda dei trasporti."))),
        threading.Thread(name="department", target=run, args=("department", lambda: services.task_close(
            task=Task.objects.get(pk=lighting.pk), user=city["lighting_member"], reason="fixed",
            note="Lampione sostituito."))),
    ]  # fmt: skip
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        post_save.disconnect(dispatch_uid="deadlock-test-report", sender=StatusChange)
        post_save.disconnect(dispatch_uid="deadlock-test-case", sender=Task)
    assert held_back == {"moderator", "department"}, "both reached their first lock together"
    assert errors == {}
    dark_case.refresh_from_db()
    lighting.refresh_from_db()
    assert lighting.closed_at is not None and dark_case.closed_at is not None
