# SPDX-License-Identifier: GPL-3.0-or-later
"""Member photos: made-up ones for the demo club, and the counter camera's head-and-shoulders crop.

Demo photos: a head-and-shoulders avatar drawn with Pillow. Nothing here resembles a real person, which
is the point: demo data must never carry someone's face. Each seed always draws the same picture, so a
demo seeded twice looks the same twice.

Camera photos (`portrait_box`, `portrait_jpeg`): a member photo is square (the member view shows it in
a square, as the demo's are), an upright JPEG well under the enrolment's 512 KB. The camera window draws
its frame guide with `portrait_box` and the capture is cut with the same box, so what the guide shows is
exactly what is kept.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

from app.services.enroll import MAX_PHOTO_BYTES

Colour = tuple[int, int, int]

_BACKGROUNDS: list[Colour] = [
    (196, 224, 229),
    (232, 214, 190),
    (205, 220, 186),
    (226, 200, 214),
    (210, 206, 236),
    (240, 226, 170),
    (187, 211, 232),
    (222, 222, 222),
    (244, 205, 180),
    (190, 226, 210),
]
_SKINS: list[Colour] = [
    (255, 224, 196),
    (241, 194, 160),
    (224, 172, 125),
    (198, 142, 98),
    (161, 110, 75),
    (111, 74, 52),
]
_HAIRS: list[Colour] = [
    (25, 20, 18),
    (48, 34, 26),
    (84, 56, 36),
    (128, 74, 40),
    (196, 160, 98),
    (150, 150, 150),
]
_CLOTHES: list[Colour] = [
    (52, 73, 94),
    (142, 68, 73),
    (39, 110, 96),
    (88, 70, 140),
    (180, 120, 40),
    (60, 60, 60),
    (30, 90, 150),
    (120, 130, 60),
]
_EYES: Colour = (40, 32, 30)
_FEMININE_STYLES = ("long", "scarf", "bun")
_MASCULINE_STYLES = ("short", "short", "bald", "beard")
_SUPERSAMPLE = 2  # draw large and shrink: Pillow's shapes have no anti-aliasing of their own
_JPEG_QUALITY = 78  # a 160 px avatar stays near 3-5 KB, well below the 8 KB budget for demo photos

PORTRAIT_SIDE = 480  # px: sharp in the member view's 280 px square on a high-density screen, ~30-60 KB
PORTRAIT_FILL = 0.9  # the guide's square is 90 % of the frame's short side: a margin to centre the face
_PORTRAIT_QUALITIES = (85, 75, 65)


@dataclass(frozen=True, slots=True)
class _Look:
    background: Colour
    skin: Colour
    hair: Colour
    clothes: Colour
    scarf: Colour
    style: str
    eye_offset: int  # hundredths of the picture's height, so faces do not all look alike


@dataclass(frozen=True, slots=True)
class _Sketch:
    """A drawing surface addressed in fractions of its side, so the shapes hold at any size."""

    draw: ImageDraw.ImageDraw
    side: int

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        s = self.side
        return (round(x0 * s), round(y0 * s), round(x1 * s), round(y1 * s))

    def point(self, x: float, y: float) -> tuple[int, int]:
        return (round(x * self.side), round(y * self.side))


def demo_photo(seed: int, size: int = 160, *, feminine: bool | None = None) -> bytes:
    """A small JPEG portrait-like avatar, the same for the same seed (and `feminine`).

    `feminine` picks the hair styles (long hair, a bun or a headscarf rather than short hair or a
    beard) so that a demo member's picture can match their name; None lets the seed decide.
    """
    look = _pick_look(random.Random(seed), feminine)
    side = size * _SUPERSAMPLE
    image = Image.new("RGB", (side, side), look.background)
    sketch = _Sketch(ImageDraw.Draw(image), side)
    _draw_behind_head(sketch, look)
    _draw_head(sketch, look)
    _draw_hair(sketch, look)
    _draw_face(sketch, look)
    out = io.BytesIO()
    image.resize((size, size), Image.Resampling.LANCZOS).save(
        out, "JPEG", quality=_JPEG_QUALITY, optimize=True
    )
    return out.getvalue()


def _pick_look(rng: random.Random, feminine: bool | None) -> _Look:
    if feminine is None:
        feminine = rng.random() < 0.5
    return _Look(
        background=rng.choice(_BACKGROUNDS),
        skin=rng.choice(_SKINS),
        hair=rng.choice(_HAIRS),
        clothes=rng.choice(_CLOTHES),
        scarf=rng.choice(_CLOTHES),
        style=rng.choice(_FEMININE_STYLES if feminine else _MASCULINE_STYLES),
        eye_offset=rng.randint(-2, 2),
    )


def _draw_behind_head(sketch: _Sketch, look: _Look) -> None:
    """Long hair and a headscarf fall behind the shoulders, so they are drawn first."""
    draw = sketch.draw
    if look.style == "long":
        draw.rounded_rectangle(sketch.box(0.27, 0.18, 0.73, 0.80), radius=sketch.side // 6, fill=look.hair)
    if look.style == "scarf":
        draw.ellipse(sketch.box(0.24, 0.13, 0.76, 0.86), fill=look.scarf)
    draw.ellipse(sketch.box(0.10, 0.72, 0.90, 1.40), fill=look.clothes)  # shoulders
    draw.rectangle(sketch.box(0.43, 0.55, 0.57, 0.76), fill=_shade(look.skin, 0.9))  # neck
    if look.style == "scarf":  # the scarf's fold under the chin, over the neck
        points = [sketch.point(0.30, 0.55), sketch.point(0.70, 0.55), sketch.point(0.50, 0.86)]
        draw.polygon(points, fill=look.scarf)


def _draw_head(sketch: _Sketch, look: _Look) -> None:
    draw = sketch.draw
    if look.style != "scarf":  # a headscarf covers the ears
        ear = _shade(look.skin, 0.95)
        draw.ellipse(sketch.box(0.295, 0.36, 0.345, 0.47), fill=ear)
        draw.ellipse(sketch.box(0.655, 0.36, 0.705, 0.47), fill=ear)
    draw.ellipse(sketch.box(0.32, 0.21, 0.68, 0.63), fill=look.skin)


def _draw_hair(sketch: _Sketch, look: _Look) -> None:
    draw = sketch.draw
    if look.style in ("short", "beard", "long"):
        draw.chord(sketch.box(0.31, 0.18, 0.69, 0.50), 180, 360, fill=look.hair)
    if look.style == "bun":
        draw.ellipse(sketch.box(0.42, 0.10, 0.58, 0.24), fill=look.hair)
        draw.chord(sketch.box(0.31, 0.19, 0.69, 0.49), 180, 360, fill=look.hair)
    if look.style == "beard":
        draw.chord(sketch.box(0.32, 0.30, 0.68, 0.64), 20, 160, fill=look.hair)


def _draw_face(sketch: _Sketch, look: _Look) -> None:
    draw = sketch.draw
    eye_y = 0.40 + look.eye_offset / 100
    draw.ellipse(sketch.box(0.415, eye_y, 0.445, eye_y + 0.03), fill=_EYES)
    draw.ellipse(sketch.box(0.555, eye_y, 0.585, eye_y + 0.03), fill=_EYES)
    width = max(1, round(sketch.side * 0.008))
    draw.arc(sketch.box(0.44, 0.47, 0.56, 0.55), 20, 160, fill=_shade(look.skin, 0.6), width=width)


def _shade(colour: Colour, factor: float) -> Colour:
    """The colour darkened by factor (0..1); colours are display values, never money."""
    r, g, b = colour
    return (round(r * factor), round(g * factor), round(b * factor))


# ---------------------------------------------------------------------------- the camera's crop


def portrait_box(width: int, height: int) -> tuple[int, int, int, int]:
    """The head-and-shoulders square of a `width`×`height` frame: (left, top, right, bottom), centred."""
    if width <= 0 or height <= 0:
        raise ValueError("empty frame")
    side = max(1, round(min(width, height) * PORTRAIT_FILL))
    left, top = (width - side) // 2, (height - side) // 2
    return (left, top, left + side, top + side)


def portrait_jpeg(
    rgb: bytes, width: int, height: int, stride: int = 0, limit: int = MAX_PHOTO_BYTES
) -> bytes:
    """A camera frame (packed 8-bit RGB rows of `stride` bytes, 0 = 3 × width) cut to `portrait_box`
    and made a JPEG of at most PORTRAIT_SIDE px and `limit` bytes. A frame smaller than that is not
    blown up: enlarging adds bytes, not detail."""
    row = stride or 3 * width
    if width <= 0 or height <= 0 or row < 3 * width or len(rgb) < row * (height - 1) + 3 * width:
        raise ValueError("frame size does not match its bytes")
    frame = Image.frombuffer("RGB", (width, height), rgb, "raw", "RGB", row, 1)
    face = frame.crop(portrait_box(width, height))
    side = min(PORTRAIT_SIDE, face.width)
    if face.width != side:
        face = face.resize((side, side), Image.Resampling.LANCZOS)
    for quality in _PORTRAIT_QUALITIES:
        out = io.BytesIO()
        face.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= limit:
            return out.getvalue()
    raise ValueError("photo too large")
