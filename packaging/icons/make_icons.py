# SPDX-License-Identifier: GPL-3.0-or-later
"""Draws Bashgah's icon: a gold star (the club's points) on a teal rounded square.

The SVG and the bitmaps come from the same geometry here, so they cannot drift apart. The outputs are
committed; run this again only to change the logo:

    .venv/bin/python packaging/icons/make_icons.py

Writes resources/icons/bashgah.svg and bashgah-{256,128,64,48}.png (the window's icon and the Linux
desktop's hicolor icons) and packaging/icons/bashgah.ico (Windows: the executables and the installer).
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons"
ICO = ROOT / "packaging" / "icons" / "bashgah.ico"

VIEW = 256  # the SVG's coordinate system; the bitmaps scale it
BACKGROUND = "#0f766e"
STAR = "#fbbf24"
MARGIN, RADIUS = 8, 56  # the rounded square
CENTRE, OUTER, INNER = (128.0, 134.0), 84.0, 36.0  # the star, a little below the middle to look centred
PNG_SIZES = (256, 128, 64, 48)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
OVERSAMPLE = 4  # drawn larger, then reduced: Pillow's polygons have no anti-aliasing of their own


def star_points() -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        radius = OUTER if i % 2 == 0 else INNER
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((CENTRE[0] + radius * math.cos(angle), CENTRE[1] + radius * math.sin(angle)))
    return points


def svg() -> str:
    star = " ".join(f"{x:.2f},{y:.2f}" for x, y in star_points())
    side = VIEW - 2 * MARGIN
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{VIEW}" height="{VIEW}" '
        f'viewBox="0 0 {VIEW} {VIEW}">\n'
        "  <title>Bashgah</title>\n"
        f'  <rect x="{MARGIN}" y="{MARGIN}" width="{side}" height="{side}" rx="{RADIUS}" '
        f'fill="{BACKGROUND}"/>\n'
        f'  <polygon points="{star}" fill="{STAR}" stroke="{STAR}" stroke-width="6" '
        'stroke-linejoin="round"/>\n'
        "</svg>\n"
    )


def bitmap(size: int) -> Image.Image:
    scale = size * OVERSAMPLE / VIEW
    big = Image.new("RGBA", (size * OVERSAMPLE, size * OVERSAMPLE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    low, high = MARGIN * scale, (VIEW - MARGIN) * scale
    draw.rounded_rectangle((low, low, high, high), radius=RADIUS * scale, fill=BACKGROUND)
    points = [(x * scale, y * scale) for x, y in star_points()]
    draw.polygon(points, fill=STAR)
    draw.line([*points, points[0]], fill=STAR, width=max(1, round(6 * scale)), joint="curve")
    return big.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    (ICONS / "bashgah.svg").write_text(svg(), encoding="utf-8")
    for size in PNG_SIZES:
        bitmap(size).save(ICONS / f"bashgah-{size}.png", optimize=True)
    ICO.parent.mkdir(parents=True, exist_ok=True)
    images = [bitmap(size) for size in ICO_SIZES]
    images[-1].save(ICO, sizes=[(s, s) for s in ICO_SIZES], append_images=images[:-1])


if __name__ == "__main__":
    main()
