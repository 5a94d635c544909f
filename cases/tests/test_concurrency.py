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
