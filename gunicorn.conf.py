"""gunicorn settings, from the environment so that ./dev run and docker-compose share one command."""

import os

bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "3"))
threads = int(os.environ.get("WEB_THREADS", "2"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
accesslog = "-"
# gunicorn believes forwarding headers (X-Forwarded-Proto) only from the reverse proxies the observatory trusts
# for X-Forwarded-For: one list, OBSERVATORY_TRUSTED_PROXIES (addresses or CIDRs); none by default.
forwarded_allow_ips = ",".join(
    proxy.strip() for proxy in os.environ.get("OBSERVATORY_TRUSTED_PROXIES", "").split(",") if proxy.strip()
)

# Prometheus (observatory/metrics.py): the workers share their counters through files in this directory, so a
# scrape of any worker sees them all. It must be set before a worker imports prometheus_client, hence here in
# the master; each start gets an empty one (stale files of dead workers would count twice).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="observatory-prometheus-")


def on_starting(server):
    import shutil

    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


if os.environ.get("WEB_FORGET_CONTENT_TYPES") == "1":
    # Set by the tests' server only (tests/processes.py): the tests flush the database between tests, which gives
    # every content type a new id, and a worker living across tests would keep the old ids in ContentType's cache
    # (the admin's log entry of the next test's save then breaks its foreign key).
    def pre_request(worker, req):
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
