"""Celery tasks of the base: sending the e-mail outbox."""

from celery import shared_task

from city import outbox


@shared_task(name="city.tasks.send_email", ignore_result=True)
def send_email(pk: int) -> bool:
    return outbox.send_one(pk)


@shared_task(name="city.tasks.send_due_emails", ignore_result=True)
def send_due_emails() -> int:
    return outbox.send_due()
