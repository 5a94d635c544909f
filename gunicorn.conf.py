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
