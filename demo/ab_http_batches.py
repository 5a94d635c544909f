"""One run of the bench's HTTP batch ingest (20 batches of 1,000 readings through the real view, Django's test
client) in whichever tree it is run from, to compare two trees round by round (docs/benchmarks.md, issue 12):

    cd TREE && DATABASE_URL=... PYTHONPATH=. python /path/to/demo/ab_http_batches.py YEAR

YEAR (2019 to last year) picks readings new to the table, so every round inserts as the bench does. Prints the
readings per second.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time


def main(year: int) -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "observatory.settings")
    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    try:
        from demo import bench_sensors as bench
    except ImportError:  # a tree from before the split into apps
        from sensors import bench

    settings.ALLOWED_HOSTS = ["*"]
    sensor, token = bench._register(f"AB-{year}-{time.time()}")
    client = Client()
    url = reverse("sensors-api:sensor-readings", args=[sensor.id])
    client.get(url)  # the handler is built once per process, as a gunicorn worker does at start-up
    start = dt.datetime(year, 1, 2, tzinfo=dt.UTC)
    bodies = []
    for day in range(20):
        instants = bench._instants(start + dt.timedelta(days=day), 1000)
        bodies.append(json.dumps({"readings": [{"observed_at": i.isoformat(), "value": float(n % 500)}
                                               for n, i in enumerate(instants)]}))  # fmt: skip
    started = time.perf_counter()
    for body in bodies:
        response = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")
        if response.status_code != 201:
            raise SystemExit(f"the ingest answered {response.status_code}: {response.content[:300]!r}")
    return round(20_000 / (time.perf_counter() - started))


if __name__ == "__main__":
    print(main(int(sys.argv[1])))
