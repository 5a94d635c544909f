"""Alerts: a zone x slot whose share feeling safe fell, or whose report rate rose, significantly.

The current window is the rolling 28 nights ending at the last complete night; the baseline is the
zone's own previous 12 weeks (84 nights). Share: one-sided pooled two-proportion z-test; report
rate: one-sided exact conditional (binomial) test of two Poisson rates. Both need a minimum n on
each side, and all tests of a run are held to a Benjamini-Hochberg false-discovery rate. Alerts are
keyed by (zone, slot, metric, window end, method version): re-running never duplicates one, and an
acknowledged alert keeps who acknowledged it and when.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from city import dataversion

from . import engine, registry
from . import statistics as st
from .models import Alert

BASELINE_NIGHTS = 84


def alert_windows(anchor: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """(current first, current last, baseline first, baseline last) nights."""
    current_first = anchor - dt.timedelta(days=registry.ROLLING_NIGHTS - 1)
    baseline_last = current_first - dt.timedelta(days=1)
    return current_first, anchor, baseline_last - dt.timedelta(days=BASELINE_NIGHTS - 1), baseline_last


def compute_alerts(*, anchor: dt.date | None = None) -> int:
    """Test every zone x slot and store the significant deteriorations; returns how many alerts stand."""
    anchor = anchor or engine.anchor_night()
    current_first, current_last, baseline_first, baseline_last = alert_windows(anchor)
    min_n = settings.OBSERVATORY_ALERT_MIN_N
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT zone_id, slot, metric,
                   coalesce(sum(numerator) FILTER (WHERE period_start >= %s), 0),
                   coalesce(sum(n) FILTER (WHERE period_start >= %s), 0),
                   coalesce(sum(numerator) FILTER (WHERE period_start <= %s), 0),
                   coalesce(sum(n) FILTER (WHERE period_start <= %s), 0)
            FROM observatory_indicator
            WHERE metric = ANY(%s) AND method_version = %s AND period_kind = 'night'
              AND period_start BETWEEN %s AND %s
            GROUP BY zone_id, slot, metric ORDER BY zone_id, slot, metric
            """,
            [current_first, current_first, baseline_last, baseline_last,
             [registry.SHARE_FEELING_SAFE, registry.REPORT_RATE], registry.METHOD_VERSION,
             baseline_first, current_last],
        )  # fmt: skip
        rows = cursor.fetchall()
    tests = []  # (zone, slot, metric, baseline, current, baseline_n, current_n, statistic, p)
    share = [r for r in rows if r[2] == registry.SHARE_FEELING_SAFE and r[4] >= min_n and r[6] >= min_n]
    if share:
        k1, n1, k0, n0 = (np.array([r[i] for r in share], dtype=float) for i in (3, 4, 5, 6))
        z, p = st.two_proportion_drop_test(k1, n1, k0, n0)
        tests += [(r[0], r[1], r[2], k0[i] / n0[i], k1[i] / n1[i], int(n0[i]), int(n1[i]), float(z[i]), float(p[i]))
                  for i, r in enumerate(share)]  # fmt: skip
    rate = [r for r in rows if r[2] == registry.REPORT_RATE and r[3] + r[5] >= min_n]
    if rate:
        x1, x0 = (np.array([r[i] for r in rate], dtype=float) for i in (3, 5))
        t1, t0 = registry.ROLLING_NIGHTS, BASELINE_NIGHTS
        p = st.rate_increase_test(x1, t1, x0, t0)
        # Reports per night, current against baseline; the statistic is the rate ratio.
        tests += [(r[0], r[1], r[2], x0[i] / t0, x1[i] / t1, int(x0[i]), int(x1[i]),
                   float((x1[i] / t1) / (x0[i] / t0)) if x0[i] else float("inf"), float(p[i]))
                  for i, r in enumerate(rate)]  # fmt: skip
    q = st.benjamini_hochberg([t[-1] for t in tests]) if tests else np.array([])
    fdr = settings.OBSERVATORY_ALERT_FDR
    standing = [(*t, float(q[i])) for i, t in enumerate(tests) if q[i] <= fdr and t[4] != t[3]]
    _store(standing, window_start=current_first, window_end=current_last)
    return len(standing)


def _store(rows: list[tuple], *, window_start: dt.date, window_end: dt.date) -> None:
    buffer = io.StringIO()
    for zone, slot, metric, baseline, current, baseline_n, current_n, statistic, p, q in rows:
        statistic = statistic if np.isfinite(statistic) else 1e308
        values = (zone, slot, metric, repr(float(baseline)), repr(float(current)), baseline_n, current_n,
                  repr(float(statistic)), repr(float(p)), repr(float(q)))  # fmt: skip
        buffer.write("\t".join(str(v) for v in values) + "\n")
    buffer.seek(0)
    columns = "zone_id, slot, metric, baseline, current, baseline_n, current_n, statistic, p_value, q_value"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('observatory.alerts'))")
        cursor.execute("DROP TABLE IF EXISTS _alerts")
        cursor.execute(
            f"CREATE TEMP TABLE _alerts ON COMMIT DROP AS SELECT {columns} FROM observatory_alert WITH NO DATA"
        )
        cursor.copy_expert(f"COPY _alerts ({columns}) FROM STDIN", buffer)
        # An unacknowledged alert of this window that no longer stands is withdrawn; acknowledged ones stay.
        cursor.execute(
            f"""
            DELETE FROM observatory_alert a
            WHERE a.window_end = %s AND a.method_version = %s AND a.acknowledged_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM _alerts t WHERE t.zone_id = a.zone_id AND t.slot = a.slot
                              AND t.metric = a.metric);
            INSERT INTO observatory_alert ({columns}, window_start, window_end, method_version, created_at)
            SELECT {columns}, %s, %s, %s, now() FROM _alerts ORDER BY zone_id, slot, metric
            ON CONFLICT (zone_id, slot, metric, window_end, method_version) DO UPDATE SET
                baseline = EXCLUDED.baseline, current = EXCLUDED.current, baseline_n = EXCLUDED.baseline_n,
                current_n = EXCLUDED.current_n, statistic = EXCLUDED.statistic, p_value = EXCLUDED.p_value,
                q_value = EXCLUDED.q_value;
            DROP TABLE _alerts;
            """,
            [window_end, registry.METHOD_VERSION, window_start, window_end, registry.METHOD_VERSION],
        )


def alert_acknowledge(*, alert: Alert, user, note: str) -> Alert:
    """Record that an officer has seen the alert and what follows from it (the note is required; the first
    acknowledgement stands)."""
    note = " ".join(str(note or "").split())
    if not note:
        raise ValidationError({"note": _("Please say in a note what follows from this alert.")})
    limit = Alert._meta.get_field("acknowledged_note").max_length
    if len(note) > limit or "\x00" in note:
        raise ValidationError({"note": _("The note must be plain text under %(max)s characters.") % {"max": limit}})
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is None:
            alert.acknowledged_by = user
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_note = note
            alert.save(update_fields=["acknowledged_by", "acknowledged_at", "acknowledged_note"])
            transaction.on_commit(dataversion.bump_data_version)  # pages showing alerts are cached under it
    return alert
