"""The brief's charts, drawn on the server with matplotlib (no browser), embedded as data URIs: SVG on
the staff page, PNG in the PDF; both drawn from the same figure code, so both show one chart."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # no display on a server: pick the file-only backend before pyplot loads
import matplotlib.pyplot as plt
from django.utils.formats import date_format

plt.rcParams.update({"svg.fonttype": "path", "font.size": 9, "svg.hashsalt": "observatory-brief"})
COLOURS = ["#2c7bb6", "#d7191c", "#fdae61", "#7b3294", "#1a9641"]


def _data_uri(figure, image_format: str) -> str:
    """SVG for the page (sharp at any zoom); PNG at print resolution for the PDF, which WeasyPrint places
    in a fraction of the time it takes to lay out matplotlib's SVG paths (measured: about half the PDF's time)."""
    buffer = io.BytesIO()
    if image_format == "png":
        figure.savefig(buffer, format="png", dpi=200, bbox_inches="tight", metadata={"Software": None})
        mime = "image/png"
    else:
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        mime = "image/svg+xml"
    plt.close(figure)
    return f"data:{mime};base64," + base64.b64encode(buffer.getvalue()).decode()


def trend_chart(lines, *, y_label: str, reference: float | None = None, reference_label: str = "",
                y_range: tuple[float, float] | None = None, image_format: str = "svg") -> str:  # fmt: skip
    """Monthly values of a few lines with their 95% intervals as error bars; an optional reference line."""
    figure, axes = plt.subplots(figsize=(6.4, 2.6))
    drawn = False
    for i, line in enumerate(lines):
        points = [m for m in line.months if m.value is not None]
        if not points:
            continue
        drawn = True
        x = [date_format(m.month, "M Y") for m in line.months]
        positions = {label: j for j, label in enumerate(x)}
        xs = [positions[date_format(m.month, "M Y")] + (i - len(lines) / 2) * 0.06 for m in points]
        ys = [m.value for m in points]
        below = [m.value - m.lower if m.lower is not None else 0 for m in points]
        above = [m.upper - m.value if m.upper is not None else 0 for m in points]
        axes.errorbar(xs, ys, yerr=[below, above], marker="o", markersize=3, capsize=2, linewidth=1.2,
                      color=COLOURS[i % len(COLOURS)], label=line.label)  # fmt: skip
        axes.set_xticks(range(len(x)), x)
    if reference is not None:
        axes.axhline(reference, linestyle=":", color="#555555", linewidth=1)
        axes.annotate(reference_label, (0, reference), textcoords="offset points", xytext=(2, 3), fontsize=7,
                      color="#555555")  # fmt: skip
    if y_range:
        axes.set_ylim(*y_range)
    axes.set_ylabel(y_label)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.spines[["top", "right"]].set_visible(False)
    if drawn:
        axes.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=min(len(lines), 3))
    return _data_uri(figure, image_format)
