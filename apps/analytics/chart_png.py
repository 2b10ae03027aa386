"""A small bar chart as PNG bytes, drawn on the server with Pillow (matplotlib is not
installed): the weekly e-mail's "leads per day" picture."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = Path(__file__).resolve().parent.parent / "core" / "fonts" / "DejaVuSans.ttf"
WIDTH, HEIGHT = 560, 240
MARGIN_X, TOP, BOTTOM = 24, 28, 40
BAR = (99, 102, 241)
TEXT = (60, 64, 80)


def bar_chart_png(labels: list[str], values: list[int], title: str) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 13)
    draw.text((MARGIN_X, 6), title, fill=TEXT, font=font)
    count = max(len(values), 1)
    slot = (WIDTH - 2 * MARGIN_X) / count
    peak = max(values, default=0) or 1
    base = HEIGHT - BOTTOM
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        left = MARGIN_X + i * slot + slot * 0.15
        right = MARGIN_X + (i + 1) * slot - slot * 0.15
        top = base - (base - TOP - 14) * value / peak
        draw.rectangle((left, top, right, base), fill=BAR)
        draw.text(((left + right) / 2, top - 2), str(value), fill=TEXT, font=font, anchor="mb")
        draw.text(((left + right) / 2, base + 6), label, fill=TEXT, font=font, anchor="mt")
    draw.line((MARGIN_X, base, WIDTH - MARGIN_X, base), fill=(200, 204, 216))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
