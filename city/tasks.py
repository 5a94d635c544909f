"""Celery tasks of the base: sending the e-mail outbox, and the beat schedule's heartbeat."""

from celery import shared_task

from city import opscounters, outbox


@shared_task(name="city.tasks.send_email", ignore_result=True)
def send_email(pk: int) -> bool:
    return outbox.send_one(pk)


@shared_task(name="city.tasks.send_due_emails", ignore_result=True)
def send_due_emails() -> int:
    return outbox.send_due()


@shared_task(name="city.tasks.purge_sent_emails", ignore_result=True)
def purge_sent_emails() -> int:
    """Retention: e-mails sent or given up past OBSERVATORY_OUTBOX_RETENTION_DAYS leave the outbox."""
    return outbox.outbox_purge()


@shared_task(name="city.tasks.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> None:
    """Beat queues this every minute; when a worker runs it the readiness check knows the schedule is alive."""
    opscounters.heartbeat("beat")
