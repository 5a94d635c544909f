"""The dashboards' Plotly figures, built from selector rows; views only place them on the page.

Each function returns the figure as plain data for ``json_script`` (``to_plotly_json``: no second
validation pass, unlike ``to_json``).
"""

from __future__ import annotations

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from city import nightslots
from indicators import registry

MARGIN = {"l": 50, "r": 10, "t": 10, "b": 40}
WEEK_AXIS = {"type": "date", "tickformat": "%d %b %Y"}
NIGHT_COLOUR, BASELINE_COLOUR = "#2c7bb6", "#fdae61"


def _error_bars(rows: list[dict], *, value: str = "value") -> dict:
    """Asymmetric error bars from each row's lower and upper bounds (none where a bound is missing)."""
    return {
        "type": "data",
        "symmetric": False,
        "array": [(r["upper"] - r[value]) if r["upper"] is not None and r[value] is not None else 0 for r in rows],
        "arrayminus": [(r[value] - r["lower"]) if r["lower"] is not None and r[value] is not None else 0 for r in rows],
    }


def city_trend(trend: list[tuple]) -> dict:
    """City-wide weekly share of reporters who felt safe, per slot.

    Reporters chose to report: no national survey figure is drawn beside their share."""
    figure = go.Figure()
    for code, label in nightslots.slot_choices():
        weeks = [(week, n, k) for week, s, n, k in trend if s == code]
        if weeks:
            figure.add_trace(
                go.Scatter(
                    x=[w.isoformat() for w, _n, _k in weeks],
                    y=[round(100 * k / n, 1) for _w, n, k in weeks],
                    customdata=[n for _w, n, _k in weeks],
                    name=str(label),
                    mode="lines+markers",
                    hovertemplate="%{x}: %{y}% (n=%{customdata})<extra>" + str(label) + "</extra>",
                )
            )
    figure.update_layout(
        yaxis={"title": _("Percent of reporters who felt safe (very or fairly)"), "range": [0, 100]},
        xaxis={"title": _("Week"), **WEEK_AXIS},
        margin=MARGIN,
        height=340,
        legend={"orientation": "h"},
    )
    return figure.to_plotly_json()


def zone_trend(series: list[dict], *, metric: str) -> dict:
    """One zone's weekly values of a metric per slot, with their intervals."""
    figure = go.Figure()
    for slot, label in nightslots.slot_choices():
        points = [r for r in series if r["slot"] == slot and r["metric"] == metric and r["value"] is not None]
        if points:
            figure.add_trace(
                go.Scatter(
                    x=[p["week"] for p in points],
                    y=[p["value"] for p in points],
                    error_y=_error_bars(points),
                    customdata=[p["n"] for p in points],
                    name=str(label),
                    mode="lines+markers",
                    hovertemplate="%{x}: %{y} (n=%{customdata})<extra>" + str(label) + "</extra>",
                )
            )
    figure.update_layout(
        yaxis={"title": str(registry.METRIC_LABELS[metric])},
        xaxis={"title": _("Week"), **WEEK_AXIS},
        margin=MARGIN,
        height=320,
        legend={"orientation": "h"},
    )
    return figure.to_plotly_json()


def zone_slots(comparison: list[dict], *, metric: str) -> dict:
    """One zone's metric in each slot of the period; the daytime baseline slot in its own colour."""
    bars = [r for r in comparison if r["metric"] == metric]
    labels = dict(nightslots.slot_choices())
    baseline = nightslots.baseline_slot()
    figure = go.Figure(
        go.Bar(
            x=[str(labels.get(r["slot"], r["slot"])) for r in bars],
            y=[r["value"] for r in bars],
            customdata=[r["n"] for r in bars],
            hovertemplate="%{x}: %{y} (n=%{customdata})<extra></extra>",
            marker_color=[BASELINE_COLOUR if r["slot"] == baseline else NIGHT_COLOUR for r in bars],
        )
    )
    figure.update_layout(yaxis={"title": str(registry.METRIC_LABELS[metric])}, margin=MARGIN, height=260)
    return figure.to_plotly_json()


def compare(rows: list[dict], *, metric: str) -> dict:
    """A few zones side by side on one metric, with their intervals."""
    chosen = [r for r in rows if r["metric"] == metric]
    figure = go.Figure(
        go.Bar(
            x=[r["code"] for r in chosen],
            y=[r["value"] for r in chosen],
            error_y=_error_bars(chosen),
            customdata=[r["n"] for r in chosen],
            hovertemplate="%{x}: %{y} (n=%{customdata})<extra></extra>",
            marker_color=NIGHT_COLOUR,
        )
    )
    figure.update_layout(yaxis={"title": str(registry.METRIC_LABELS[metric])}, margin=MARGIN, height=300)
    return figure.to_plotly_json()
