"""The app icons (static/icons/*.png), drawn once with Pillow and committed: an agenda wall of
rooms × time slots with one cell claimed. Run again only to change them:
`.venv/bin/python assets/make_icons.py`.

`icon-*.png` have rounded corners on a transparent ground ("any"); `maskable-*.png` fill the
whole square and keep the drawing inside the central 80 % circle that launchers may cut to.
"""

from pathlib import Path

from PIL import Image, ImageDraw

ACCENT = (31, 95, 191)  # --accent in static/css/app.css, also the manifest's theme_color
PAPER = (255, 255, 255)
CLAIMED = (255, 196, 61)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
SCALE = 4  # drawn large, scaled down: smooth edges


def wall(draw: ImageDraw.ImageDraw, size: int, box: float) -> None:
    """A 3 × 3 wall of cells inside the centred square of side box·size, one cell claimed."""
    side = size * box
    start = (size - side) / 2
    gap = side * 0.08
    cell = (side - 2 * gap) / 3
    for row in range(3):
        for col in range(3):
            x = start + col * (cell + gap)
            y = start + row * (cell + gap)
            colour = CLAIMED if (row, col) == (1, 1) else PAPER
            draw.rounded_rectangle([x, y, x + cell, y + cell], radius=cell * 0.18, fill=colour)


def make(size: int, maskable: bool) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle([0, 0, big, big], fill=ACCENT)
        wall(draw, big, 0.50)  # the wall's corners stay inside the 80 % safe circle
    else:
        draw.rounded_rectangle([0, 0, big - 1, big - 1], radius=big * 0.22, fill=ACCENT)
        wall(draw, big, 0.62)
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        make(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
        make(size, maskable=True).save(OUT / f"maskable-{size}.png", optimize=True)
    # iOS ignores the manifest's icons: apple-touch-icon, opaque (iOS rounds it itself).
    make(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    make(32, maskable=False).save(OUT / "favicon-32.png", optimize=True)


if __name__ == "__main__":
    main()
