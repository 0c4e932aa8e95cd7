"""Plots stay as they were drawn (image regression) and no two tick labels on an axis overlap.

Each figure of tests/images.py is drawn from fixed input tables and compared
with its stored baseline by matplotlib's own image comparison (root mean
square difference of the pixels, 0-255).  After a deliberate change to a plot,
redraw the baselines with ``python -m tests.images`` and look at them.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pytest
from matplotlib.testing.compare import compare_images

from sim.viz import plotting as pl
from tests.images import DATA, FIGURES

TOLERANCE = 2.0  # RMS over 0-255: a moved label or line shows, anti-aliasing noise does not


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_the_figure_looks_as_it_did(name, tmp_path):
    drawn = pl.save_figure(FIGURES[name](), tmp_path / name, formats=("png",))[0]
    failed = compare_images(str(DATA / f"{name}.png"), str(drawn), tol=TOLERANCE)
    assert failed is None, f"{failed}\nif the change is deliberate: python -m tests.images"


def overlaps(labels, renderer, axis: str) -> list[tuple[str, str]]:
    """Neighbouring tick labels on one axis whose text overlaps (rotated labels: across their slant)."""
    shown = [t for t in labels if t.get_visible() and t.get_text()]
    along = 0 if axis == "x" else 1  # neighbours in the order of their ticks
    boxes = sorted(((t.get_window_extent(renderer), t) for t in shown), key=lambda bt: bt[1].get_position()[along])
    out = []
    for (a, ta), (b, tb) in zip(boxes, boxes[1:], strict=False):
        angle = math.radians(ta.get_rotation())
        if axis == "x" and angle:
            # Slanted labels are parallel strips: apart when their anchors are a text height apart across the slant.
            gap = abs(b.x1 - a.x1) * math.sin(angle)
            if gap < ta.get_fontsize() * renderer.points_to_pixels(1.0) * 0.9:
                out.append((ta.get_text(), tb.get_text()))
        elif (axis == "x" and max(a.x0, b.x0) < min(a.x1, b.x1)) or (axis == "y" and max(a.y0, b.y0) < min(a.y1, b.y1)):
            out.append((ta.get_text(), tb.get_text()))
    return out


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_no_two_tick_labels_overlap(name):
    fig = FIGURES[name]()
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis, labels in (("x", ax.get_xticklabels()), ("y", ax.get_yticklabels())):
            clash = overlaps(labels, renderer, axis)
            assert not clash, f"{name}, {ax.get_title() or ax.get_label()} {axis} axis: {clash}"
    plt.close(fig)


def test_the_overlap_check_sees_labels_run_together():
    fig, ax = plt.subplots(figsize=(1.2, 1.2))
    ax.set_xticks([0, 1, 2], ["-120,000", "-80,000", "-40,000"])  # the defect that was found in comparison.png
    fig.canvas.draw()
    assert overlaps(ax.get_xticklabels(), fig.canvas.get_renderer(), "x")
    plt.close(fig)
