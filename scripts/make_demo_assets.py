"""Draw the demo pictures and spec sheets of Harbor & Hall from shop/catalog/demo_data.py.

    python scripts/make_demo_assets.py

Writes, under static/:
  img/products/<slug>-<n>.svg   2-3 flat illustrations per product
  img/categories/<slug>.svg     one per category
  img/staff/<local-part>.svg    an initials avatar per staff member
  docs/<slug>-spec-sheet.pdf    for products with spec_sheet=True (needs fpdf2)

The output is deterministic: every variation comes from random.Random seeded with the slug, and
the PDFs carry a fixed creation date. SVGs use the standard library only.
"""

import hashlib
import math
import random
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shop.catalog.demo_data import (  # noqa: E402
    CATEGORIES,
    IMAGE_VIEWS,
    PRODUCTS,
    STAFF,
    STORE_NAME,
)

STATIC = ROOT / "static"
W, H = 800, 600
PDF_DATE = datetime(2026, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------------------- SVG helpers


def f(x: float) -> str:
    """A coordinate, short and stable."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def pts(points) -> str:
    return " ".join(f"{f(x)},{f(y)}" for x, y in points)


def poly(points, fill: str, extra: str = "") -> str:
    return f'<polygon points="{pts(points)}" fill="{fill}"{extra}/>'


def rect(x, y, w, h, fill: str, rx: float = 0, extra: str = "") -> str:
    r = f' rx="{f(rx)}"' if rx else ""
    return f'<rect x="{f(x)}" y="{f(y)}" width="{f(w)}" height="{f(h)}"{r} fill="{fill}"{extra}/>'


def circle(cx, cy, r, fill: str, extra: str = "") -> str:
    return f'<circle cx="{f(cx)}" cy="{f(cy)}" r="{f(r)}" fill="{fill}"{extra}/>'


def line(x1, y1, x2, y2, stroke: str, width: float = 2, extra: str = "") -> str:
    return (
        f'<line x1="{f(x1)}" y1="{f(y1)}" x2="{f(x2)}" y2="{f(y2)}" stroke="{stroke}" '
        f'stroke-width="{f(width)}" stroke-linecap="round"{extra}/>'
    )


def path(d: str, fill: str = "none", stroke: str = "", width: float = 0, extra: str = "") -> str:
    s = (
        f' stroke="{stroke}" stroke-width="{f(width)}" stroke-linecap="round" '
        'stroke-linejoin="round"'
        if stroke
        else ""
    )
    return f'<path d="{d}" fill="{fill}"{s}{extra}/>'


def gradient(gid: str, top: str, bottom: str) -> str:
    return (
        f'<linearGradient id="{gid}" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{top}"/><stop offset="1" stop-color="{bottom}"/>'
        "</linearGradient>"
    )


def document(body: list[str], defs: list[str], title: str, w: int = W, h: int = H) -> str:
    title = title.replace("&", "&amp;").replace("<", "&lt;")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
        f'height="{h}" role="img"><title>{title}</title>'
        + (f"<defs>{''.join(defs)}</defs>" if defs else "")
        + "".join(body)
        + "</svg>\n"
    )


def mix(c1: str, c2: str, t: float) -> str:
    """A colour t of the way from c1 to c2."""
    a = [int(c1[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(c2[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def seeded(*parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in parts))


def ridge(rng, y_base: float, height: float, peaks: int, sharp: float = 0.5):
    """Points of a mountain ridge across the width, and the peak points."""
    points, tops = [(-10.0, y_base)], []
    step = (W + 20) / peaks
    for i in range(peaks):
        x0 = -10 + i * step
        px = x0 + step * rng.uniform(0.3, 0.7)
        py = y_base - height * rng.uniform(0.55, 1.0)
        vx = x0 + step
        vy = y_base - height * rng.uniform(0.05, 0.35) * (1 - sharp / 2)
        points += [(px, py), (vx, vy)]
        tops.append((px, py))
    points += [(W + 10, y_base), (W + 10, H + 10), (-10, H + 10)]
    return points, tops


def snowcaps(points, tops, depth: float, fill: str) -> list[str]:
    """Small snow polygons below each peak, cut along the ridge's own slopes."""
    out = []
    for px, py in tops:
        i = points.index((px, py))
        (lx, ly), (rx, ry) = points[i - 1], points[i + 1]
        t = min(1.0, depth / max(1.0, min(ly - py, ry - py)))
        left = (px + (lx - px) * t, py + (ly - py) * t)
        right = (px + (rx - px) * t, py + (ry - py) * t)
        mid = ((left[0] + right[0]) / 2, (left[1] + right[1]) / 2 - depth * 0.3)
        ql = ((left[0] + mid[0]) / 2, (left[1] + mid[1]) / 2 + depth * 0.25)
        qr = ((right[0] + mid[0]) / 2, (right[1] + mid[1]) / 2 + depth * 0.25)
        out.append(poly([(px, py), left, ql, mid, qr, right], fill))
    return out


# ---------------------------------------------------------------------------- sailboats

DAY_SKIES = [("#a9d6ea", "#f1efe6"), ("#9cc7e4", "#eaf2ef"), ("#b6dcef", "#f6eee0")]
DUSK_SKIES = [("#3f3d6e", "#f2a65a"), ("#4a3b6b", "#f5c07a"), ("#2f4868", "#efa47c")]
NIGHT_SKIES = [("#17223b", "#4d6485"), ("#1d2540", "#5b5f8a")]
HULLS = ["#f7f5ef", "#1f3552", "#244a3c", "#7a2a2a", "#efe3c8"]


def draw_sailboat(product: dict, view: int, rng: random.Random) -> tuple[list, list]:
    specs = product["specs"]
    material = specs["hull_material"]
    loa = float(specs["length"])
    sky = [DAY_SKIES, DUSK_SKIES, NIGHT_SKIES][view % 3][rng.randrange(2)]
    horizon = 375 + rng.uniform(-15, 15)
    defs = [gradient("sky", *sky), gradient("sea", mix(sky[1], "#1d4e6b", 0.55), "#173a52")]
    body = [rect(0, 0, W, H, "url(#sky)")]
    sun_x = rng.uniform(120, 680)
    if view == 2:
        body.append(circle(sun_x, 110, 26, "#f4efd8"))
        body += [
            circle(
                rng.uniform(20, 780),
                rng.uniform(20, 250),
                rng.uniform(0.8, 1.8),
                "#ffffff",
                ' opacity="0.7"',
            )
            for _ in range(24)
        ]
    else:
        body.append(
            circle(
                sun_x,
                horizon - rng.uniform(90, 220),
                34 if view else 40,
                "#fff6df" if view == 0 else "#ffd89a",
                ' opacity="0.9"',
            )
        )
    hills, _ = ridge(rng, horizon, rng.uniform(25, 55), rng.randint(3, 5), 0.2)
    body.append(poly(hills, mix(sky[1], "#2d4a58", 0.45), ' opacity="0.8"'))
    body.append(rect(0, horizon, W, H - horizon, "url(#sea)"))
    for _ in range(16):
        x, y = rng.uniform(0, W), rng.uniform(horizon + 15, H - 10)
        length = 20 + (y - horizon) * 0.35
        body.append(line(x, y, x + length, y, "#ffffff", 1.5, ' opacity="0.18"'))

    hull_colour = {"Aluminum": "#b9c0c6", "Carbon composite": "#2f3338"}.get(
        material, HULLS[rng.randrange(len(HULLS))]
    )
    sail = {"Wood/epoxy": "#d9a06c", "Carbon composite": "#43474d"}.get(material, "#fbf9f2")
    length = 170 + (loa - 20) * 8.5
    depth = length * 0.12
    cx, wl = 400 + rng.uniform(-60, 60), horizon + 95 + rng.uniform(-10, 25)
    flip = rng.random() < 0.5
    heel = (0, -7, 0)[view] - rng.uniform(0, 4) if view < 2 else 0
    half = length / 2
    boat = []
    boat.append(
        f'<ellipse cx="0" cy="{f(depth * 0.9)}" rx="{f(half * 0.95)}" ry="{f(depth * 0.35)}"'
        f' fill="{hull_colour}" opacity="0.25"/>'
    )
    hull_d = (
        f"M{f(-half)},{f(-4)} L{f(half)},{f(-14)} "
        f"Q{f(half * 0.82)},{f(depth)} {f(half * 0.35)},{f(depth)} "
        f"L{f(-half * 0.78)},{f(depth * 0.9)} Q{f(-half)},{f(depth * 0.7)} {f(-half)},{f(-4)}Z"
    )
    boat.append(path(hull_d, hull_colour, "#10202c", 1.5))
    stripe = "#c9a24a" if hull_colour in ("#1f3552", "#244a3c", "#2f3338") else "#1f3552"
    boat.append(
        path(
            f"M{f(-half + 2)},{f(depth * 0.35)} L{f(half * 0.86)},{f(depth * 0.3)}",
            stroke=stripe,
            width=3,
        )
    )
    cabin_w = length * 0.3
    boat.append(
        rect(
            -cabin_w * 0.6,
            -20,
            cabin_w,
            14,
            mix(hull_colour, "#ffffff", 0.3),
            6,
            ' stroke="#10202c" stroke-width="1"',
        )
    )
    for i in range(3):
        boat.append(rect(-cabin_w * 0.5 + i * cabin_w * 0.3, -16, cabin_w * 0.16, 5, "#2b3a45", 2))
    mast_x = length * 0.06
    mast_h = min(length * 1.2, wl - 60)
    boat.append(line(mast_x, -8, mast_x, -mast_h, "#2a2a2a", 3))
    boom_y = -34
    if view < 2:
        main = (
            f"M{f(mast_x - 3)},{f(-mast_h + 8)} Q{f(mast_x - length * 0.18)},{f(-mast_h * 0.5)} "
            f"{f(mast_x - length * 0.44)},{f(boom_y)} L{f(mast_x - 3)},{f(boom_y)}Z"
        )
        boat.append(path(main, sail, "#8a8a80", 1))
        jib = (
            f"M{f(mast_x + 4)},{f(-mast_h * 0.86)} L{f(half - 8)},{f(-18)} "
            f"Q{f(mast_x + length * 0.2)},{f(-26)} {f(mast_x + 6)},{f(-30)}Z"
        )
        boat.append(path(jib, mix(sail, "#ffffff", 0.2), "#8a8a80", 1))
        for k in (0.3, 0.5, 0.7):
            y = -mast_h + (mast_h + boom_y) * k
            boat.append(
                line(mast_x - 3, y, mast_x - length * 0.44 * (k + 0.1) * 0.9, y + 6, "#c8c6bb", 1)
            )
    else:
        boat.append(line(mast_x, boom_y, mast_x - length * 0.44, boom_y + 4, "#2a2a2a", 3))
        boat.append(rect(mast_x - length * 0.42, boom_y - 9, length * 0.4, 10, "#2f5d7c", 5))
        boat.append(line(half - 6, -12, half + 40, depth + 10, "#3a3a3a", 1.2, ' opacity="0.7"'))
        boat.append(circle(mast_x, -mast_h, 3.5, "#ffe9a8"))
    boat.append(line(mast_x, -mast_h, half - 6, -14, "#5a5a5a", 0.8))
    boat.append(line(mast_x, -mast_h, -half + 4, -6, "#5a5a5a", 0.8))
    scale = "-1,1" if flip else "1,1"
    body.append(
        f'<g transform="translate({f(cx)},{f(wl)}) rotate({f(heel)}) scale({scale})">'
        + "".join(boat)
        + "</g>"
    )
    for _ in range(6):
        x, y = cx + rng.uniform(-half, half), wl + rng.uniform(depth, depth + 60)
        body.append(line(x, y, x + rng.uniform(15, 45), y, "#ffffff", 1.2, ' opacity="0.25"'))
    return body, defs


# ---------------------------------------------------------------------------- pianos

FINISHES = {
    "Polished ebony": ("#141418", "#4a4c55"),
    "Satin ebony": ("#26262b", "#3d3e44"),
    "Polished white": ("#f3f0e8", "#ffffff"),
    "Satin walnut": ("#6b4a32", "#8a6647"),
    "Figured walnut": ("#6b4a32", "#8a6647"),
    "Polished mahogany": ("#6e2f22", "#94503d"),
}
ROOM_WALLS = ["#e9e2d6", "#d9e0dc", "#e6dccf", "#dfe3ea", "#ece6da"]
DARK_WALLS = ["#2f3b3a", "#3a3040", "#2c3444", "#413a33"]
FLOORS = ["#b58a5e", "#a77b52", "#c39c70", "#8f6a48"]


def room(rng: random.Random, dark: bool, floor_y: float, decor: bool = True) -> list[str]:
    wall = (DARK_WALLS if dark else ROOM_WALLS)[rng.randrange(4)]
    floor = FLOORS[rng.randrange(4)]
    body = [rect(0, 0, W, floor_y, wall), rect(0, floor_y, W, H - floor_y, floor)]
    body.append(rect(0, floor_y - 10, W, 10, mix(wall, "#ffffff", 0.35)))
    for i in range(1, 7):
        y = floor_y + (H - floor_y) * (i / 7) ** 1.4
        body.append(line(0, y, W, y, mix(floor, "#000000", 0.15), 1, ' opacity="0.5"'))
    if not decor:
        pass
    elif rng.random() < 0.6:
        x = rng.uniform(60, 560)
        frame_w, frame_h = rng.uniform(90, 170), rng.uniform(70, 120)
        y = rng.uniform(60, 110)
        body.append(rect(x, y, frame_w, frame_h, mix(wall, "#000000", 0.5), 2))
        body.append(rect(x + 8, y + 8, frame_w - 16, frame_h - 16, "#f4efe4"))
        art_colour = ["#c36f4a", "#4f6f8f", "#c9a24a", "#6f8a6a"][rng.randrange(4)]
        body.append(
            circle(
                x + frame_w * rng.uniform(0.3, 0.7),
                y + frame_h / 2,
                frame_h * 0.25,
                art_colour,
                ' opacity="0.8"',
            )
        )
    else:
        wx = rng.uniform(80, 520)
        body.append(rect(wx, 50, 180, 210, mix(wall, "#ffffff", 0.55), 4))
        body.append(line(wx + 90, 50, wx + 90, 260, mix(wall, "#000000", 0.2), 3))
        body.append(line(wx, 155, wx + 180, 155, mix(wall, "#000000", 0.2), 3))
    return body


def draw_piano(product: dict, view: int, rng: random.Random) -> tuple[list, list]:
    specs = product["specs"]
    finish, sheen = FINISHES.get(specs["finish"], FINISHES["Polished ebony"])
    outline = "#9a958a" if finish == "#f3f0e8" else mix(finish, "#000000", 0.4)
    length = 210 + (int(specs["length_cm"]) - 150) * 1.55
    if view == 0:
        floor_y = 440
        body = room(rng, rng.random() < 0.3, floor_y)
        x0 = 400 - length / 2 - 40 + rng.uniform(-30, 30)
        top = floor_y - 175
        rim_h = 46
        lid = [
            (x0 + length * 0.22, top + 2),
            (x0 + length, top + 2),
            (x0 + length * 0.9, top - length * 0.5),
        ]
        body.append(poly(lid, finish, f' stroke="{outline}" stroke-width="1.5"'))
        body.append(
            poly(
                [
                    (lid[0][0] + 14, top - 2),
                    (lid[1][0] - 22, top - 2),
                    (lid[2][0] - 14, lid[2][1] + 16),
                ],
                sheen,
                ' opacity="0.25"',
            )
        )
        prop = x0 + length * 0.62
        body.append(line(prop, top, prop + 8, top - length * 0.3, "#111111", 3))
        body.append(
            rect(
                x0 + 20,
                top - 40,
                70,
                38,
                finish,
                3,
                f' stroke="{outline}" stroke-width="1" transform="rotate(-12 '
                f'{f(x0 + 55)} {f(top - 20)})"',
            )
        )
        body_d = (
            f"M{f(x0)},{f(top)} L{f(x0 + length - 30)},{f(top)} "
            f"Q{f(x0 + length)},{f(top)} {f(x0 + length)},{f(top + rim_h / 2)} "
            f"Q{f(x0 + length)},{f(top + rim_h)} {f(x0 + length - 30)},{f(top + rim_h)} "
            f"L{f(x0)},{f(top + rim_h)}Z"
        )
        body.append(path(body_d, finish, outline, 1.5))
        body.append(line(x0 + 10, top + 12, x0 + length - 40, top + 12, sheen, 2, ' opacity="0.5"'))
        body.append(rect(x0 - 18, top + 10, 30, 24, finish, 3))
        body.append(rect(x0 - 16, top + 8, 26, 6, "#f6f3ea", 1))
        for lx in (x0 + 12, x0 + length * 0.85):
            body.append(
                path(
                    f"M{f(lx)},{f(top + rim_h)} L{f(lx + 14)},{f(top + rim_h)} "
                    f"L{f(lx + 11)},{f(floor_y)} L{f(lx + 3)},{f(floor_y)}Z",
                    finish,
                    outline,
                    1,
                )
            )
        lyre = x0 + length * 0.28
        body.append(rect(lyre, top + rim_h, 16, floor_y - top - rim_h - 14, finish, 2))
        body.append(rect(lyre - 8, floor_y - 16, 32, 6, "#c9a24a", 3))
        bench_x = x0 - 120
        body.append(rect(bench_x, floor_y - 95, 90, 18, finish, 3))
        body.append(rect(bench_x + 6, floor_y - 77, 8, 77, finish))
        body.append(rect(bench_x + 76, floor_y - 77, 8, 77, finish))
        body.append(
            f'<ellipse cx="{f(x0 + length / 2)}" cy="{f(floor_y + 6)}" '
            f'rx="{f(length * 0.6)}" ry="12" fill="#000000" opacity="0.12"/>'
        )
        return body, []
    if view == 1:
        rug = ["#7b3f3a", "#2f4a5c", "#5a5a3c", "#6b5a7a"][rng.randrange(4)]
        floor = FLOORS[rng.randrange(4)]
        body = [rect(0, 0, W, H, floor)]
        for i in range(1, 10):
            body.append(
                line(i * 80 + rng.uniform(-8, 8), 0, i * 80, H, mix(floor, "#000000", 0.12), 1.5)
            )
        body.append(rect(120, 40, 560, 520, rug, 6))
        body.append(
            rect(
                140,
                60,
                520,
                480,
                "none",
                4,
                f' stroke="{mix(rug, "#ffffff", 0.35)}" stroke-width="3"',
            )
        )
        scale = 470 / max(length, 330)
        plen = length * scale
        pw = 150 * scale * 1.1
        x0, yk = 400 - pw / 2, 300 + plen / 2
        body.append(f'<g transform="rotate({f(rng.uniform(-12, 12))} 400 300)">')
        outline_d = (
            f"M{f(x0)},{f(yk)} L{f(x0)},{f(yk - plen + 30)} "
            f"Q{f(x0)},{f(yk - plen)} {f(x0 + 30)},{f(yk - plen)} "
            f"C{f(x0 + pw * 0.6)},{f(yk - plen)} {f(x0 + pw * 0.35)},{f(yk - plen * 0.45)} "
            f"{f(x0 + pw)},{f(yk - plen * 0.35)} L{f(x0 + pw)},{f(yk)}Z"
        )
        body.append(path(outline_d, finish, outline, 2))
        inner = (
            f"M{f(x0 + 10)},{f(yk - 30)} L{f(x0 + 10)},{f(yk - plen + 36)} "
            f"Q{f(x0 + 10)},{f(yk - plen + 12)} {f(x0 + 34)},{f(yk - plen + 12)} "
            f"C{f(x0 + pw * 0.55)},{f(yk - plen + 12)} {f(x0 + pw * 0.32)},"
            f"{f(yk - plen * 0.45)} {f(x0 + pw - 10)},{f(yk - plen * 0.36)} "
            f"L{f(x0 + pw - 10)},{f(yk - 30)}Z"
        )
        body.append(path(inner, "#c9a24a"))
        for i in range(1, 14):
            x = x0 + 10 + (pw - 20) * i / 14
            body.append(line(x, yk - 34, x - i * 2, yk - plen * (0.95 - i * 0.045), "#8a7a5a", 0.8))
        body.append(rect(x0 - 6, yk - 4, pw + 12, 34, finish, 3))
        body.append(rect(x0 + 2, yk, pw - 4, 18, "#f6f3ea", 1))
        for i in range(36):
            if i % 7 not in (2, 6):
                x = x0 + 2 + (pw - 4) * (i + 0.7) / 36
                body.append(rect(x, yk, (pw - 4) / 60, 10, "#111111"))
        body.append("</g>")
        return body, []
    # view 2: the keyboard close up
    body = [rect(0, 0, W, H, DARK_WALLS[rng.randrange(4)])]
    body.append(rect(0, 170, W, 130, finish))
    body.append(rect(0, 170, W, 6, sheen, 0, ' opacity="0.5"'))
    body.append(rect(0, 240, W, 3, "#c9a24a", 0, ' opacity="0.8"'))
    key_w = 800 / 15
    offset = rng.uniform(0, key_w)
    body.append(rect(0, 300, W, 200, "#f6f3ea"))
    for i in range(17):
        x = i * key_w - offset
        body.append(line(x, 300, x, 500, "#b9b4a8", 1.5))
    for i in range(17):
        if i % 7 in (0, 1, 3, 4, 5):
            x = (i + 1) * key_w - offset - key_w * 0.3
            body.append(rect(x, 300, key_w * 0.6, 120, "#15151a", 3))
            body.append(rect(x + 4, 300, key_w * 0.6 - 8, 110, "#2c2c33", 2))
    body.append(rect(0, 500, W, 100, finish))
    body.append(rect(0, 294, W, 8, "#8b0d12", 0, ' opacity="0.85"'))
    return body, []


# ---------------------------------------------------------------------------- e-bikes

FRAMES = ["#2f6f8f", "#c0533a", "#3d6b4f", "#d9a441", "#4b4f8a", "#8c3f5a", "#5a5f66"]
BACKDROPS = ["#e8ecef", "#efe9df", "#e3ebe4", "#ece3e6"]


def draw_ebike(product: dict, view: int, rng: random.Random) -> tuple[list, list]:
    frame = product["specs"]["frame"]
    colour = FRAMES[rng.randrange(len(FRAMES))]
    ground = 470
    defs: list[str] = []
    if view == 0:
        body = [rect(0, 0, W, H, BACKDROPS[rng.randrange(4)])]
        body.append(rect(0, ground, W, H - ground, "#d6d2c8"))
    elif view == 1:
        sky = ["#f2d8b5", "#cfe1ea", "#e5d7ea"][rng.randrange(3)]
        body = [rect(0, 0, W, H, sky)]
        defs.append(
            '<pattern id="win" width="26" height="34" patternUnits="userSpaceOnUse">'
            '<rect x="8" y="10" width="12" height="16" fill="#fff3c4" opacity="0.45"/>'
            "</pattern>"
        )
        x = -20.0
        while x < W:
            bw, bh = rng.uniform(70, 140), rng.uniform(140, 320)
            shade = mix("#5b6470", sky, rng.uniform(0.1, 0.5))
            body.append(rect(x, ground - bh, bw, bh, shade))
            body.append(rect(x + 4, ground - bh + 8, bw - 12, bh - 30, "url(#win)"))
            x += bw + rng.uniform(4, 18)
        body.append(rect(0, ground, W, H - ground, "#8d9096"))
        body.append(rect(0, ground, W, 8, "#b8bbc0"))
        for i in range(5):
            body.append(rect(i * 190 + rng.uniform(0, 40), 540, 90, 8, "#e8e3c4", 2))
    else:
        sky = ["#cfe6ef", "#f4e3c3", "#dfe9d6"][rng.randrange(3)]
        body = [rect(0, 0, W, H, sky)]
        hills, _ = ridge(rng, 400, 120, 3, 0.1)
        body.append(poly(hills, "#9fb89a"))
        hills2, _ = ridge(rng, 450, 80, 4, 0.1)
        body.append(poly(hills2, "#7c9c72"))
        for _ in range(9):
            tx, ty, th = rng.uniform(0, W), rng.uniform(380, 440), rng.uniform(40, 90)
            body.append(rect(tx - 3, ty, 6, 14, "#5a4632"))
            body.append(
                poly([(tx, ty - th), (tx - th * 0.3, ty + 2), (tx + th * 0.3, ty + 2)], "#3f6046")
            )
        body.append(
            path(
                f"M0,{ground + 40} Q400,{ground - 10} 800,{ground + 30} L800,600 L0,600Z", "#d8c6a0"
            )
        )
        for _ in range(40):
            body.append(circle(rng.uniform(0, W), rng.uniform(ground + 20, 590), 1.5, "#b49f76"))
    small = frame == "Folding"
    radius = 62 if small else 92
    if frame == "Cargo longtail" and "Compact" in product["name"]:
        radius = 72
    rear_x = {"Cargo longtail": 200.0, "Cargo front-loader": 150.0}.get(frame, 230.0)
    wheelbase = {"Cargo longtail": 430, "Cargo front-loader": 500, "Folding": 300}.get(frame, 340)
    front_r = 66 if frame == "Cargo front-loader" else radius
    axle = ground - radius
    rear = (rear_x, axle)
    front = (rear_x + wheelbase, ground - front_r)
    bb = (rear_x + (170 if frame == "Cargo longtail" else 140), axle + 18)
    seat = (bb[0] - 45, axle - 180 if not small else axle - 175)
    if frame == "Cargo front-loader":
        head_b = (bb[0] + 150, axle - 70)
        head_t = (head_b[0] - 12, axle - 150)
    else:
        head_b = (front[0] - 52, front[1] - 108 * radius / 92)
        head_t = (head_b[0] - 14, head_b[1] - 58)
    knobbly = frame == "Full suspension"

    def wheel(cx, cy, r):
        out = [
            circle(
                cx,
                cy,
                r,
                "none",
                f' stroke="#1d1d1f" stroke-width="{11 if knobbly else 8}"'
                + (' stroke-dasharray="4 3"' if knobbly else ""),
            )
        ]
        out.append(circle(cx, cy, r - 8, "none", ' stroke="#9aa0a6" stroke-width="3"'))
        for k in range(12):
            a = k * 0.5236 + rng.uniform(0, 0.2)
            from_x, from_y = cx + 6 * math.cos(a + 1), cy + 6 * math.sin(a + 1)
            out.append(
                line(
                    from_x,
                    from_y,
                    cx + (r - 9) * math.cos(a),
                    cy + (r - 9) * math.sin(a),
                    "#b7bcc2",
                    0.8,
                )
            )
        out.append(circle(cx, cy, 7, "#3a3a3d"))
        return out

    body.append(
        f'<ellipse cx="{f((rear[0] + front[0]) / 2)}" cy="{ground + 4}" '
        f'rx="{f(wheelbase * 0.75)}" ry="8" fill="#000000" opacity="0.12"/>'
    )
    body += wheel(*rear, radius)
    body += wheel(*front, front_r)
    tube = 11 if frame in ("Full suspension", "Cargo longtail", "Cargo front-loader") else 8
    trim = mix(colour, "#000000", 0.35)
    if frame == "Step-through":
        body.append(
            path(
                f"M{f(bb[0])},{f(bb[1])} Q{f(bb[0] + 70)},{f(bb[1] - 40)} "
                f"{f(head_b[0])},{f(head_b[1])}",
                stroke=colour,
                width=tube + 2,
            )
        )
    elif frame == "Folding":
        body.append(line(bb[0], bb[1], head_t[0] + 4, head_t[1] + 20, colour, tube + 3))
        body.append(circle((bb[0] + head_t[0]) / 2, (bb[1] + head_t[1]) / 2 + 8, 8, trim))
    elif frame == "Cargo front-loader":
        body.append(line(bb[0], bb[1], head_b[0], head_b[1], colour, tube))
        body.append(line(head_b[0], head_b[1] + 30, front[0], front[1] - 10, colour, tube))
        box_x = head_b[0] + 10
        box_colour = ["#c9a27a", "#a67c52", "#d8c3a0"][rng.randrange(3)]
        body.append(
            path(
                f"M{f(box_x)},{f(front[1] - 110)} L{f(front[0] - 30)},"
                f"{f(front[1] - 110)} L{f(front[0] - 50)},{f(front[1] + 20)} "
                f"L{f(box_x + 20)},{f(front[1] + 20)}Z",
                box_colour,
                trim,
                2,
            )
        )
        body.append(
            line(
                box_x + 10,
                front[1] - 60,
                front[0] - 40,
                front[1] - 60,
                mix(box_colour, "#000000", 0.25),
                2,
            )
        )
        front_fork_top = (front[0] - 20, front[1] - 70)
        body.append(line(front_fork_top[0], front_fork_top[1], *front, colour, 6))
    else:
        body.append(line(bb[0], bb[1], head_b[0], head_b[1], colour, tube + 2))
        body.append(line(seat[0] + 6, seat[1] + 24, head_t[0], head_t[1] + 10, colour, tube))
    body.append(line(*bb, seat[0] + 4, seat[1] + 20, colour, tube))
    body.append(line(*rear, *bb, colour, tube - 2))
    if frame == "Full suspension":
        pivot = (bb[0] - 10, bb[1] - 60)
        body.append(line(*rear, *pivot, colour, tube - 2))
        body.append(line(pivot[0], pivot[1], bb[0] + 40, bb[1] - 70, "#d4a017", 7))
    else:
        body.append(line(*rear, seat[0] + 6, seat[1] + 30, colour, tube - 3))
    if frame != "Cargo front-loader":
        body.append(line(*head_b, *front, trim, 7))
    body.append(line(*head_b, *head_t, trim, tube + 2))
    # battery along the down tube, motor at the bottom bracket
    if frame not in ("Folding",):
        bx0, by0 = bb[0] + (head_b[0] - bb[0]) * 0.18, bb[1] + (head_b[1] - bb[1]) * 0.18
        bx1, by1 = bb[0] + (head_b[0] - bb[0]) * 0.68, bb[1] + (head_b[1] - bb[1]) * 0.68
        if frame != "Step-through":
            body.append(line(bx0, by0 - 10, bx1, by1 - 10, "#2a2c30", 16))
    else:
        body.append(rect(seat[0] - 6, seat[1] + 40, 22, 70, "#2a2c30", 5))
    body.append(circle(*bb, 22, "#2a2c30"))
    body.append(circle(bb[0] + 4, bb[1], 30, "none", ' stroke="#55585e" stroke-width="3"'))
    body.append(line(bb[0] + 4, bb[1], bb[0] + 28, bb[1] + 26, "#55585e", 5))
    body.append(line(bb[0] + 4, bb[1] - 30, rear[0], rear[1] - 8, "#77797e", 1.5))
    body.append(line(bb[0] + 4, bb[1] + 30, rear[0], rear[1] + 8, "#77797e", 1.5))
    # saddle, bars
    post_top = (seat[0] - 6, seat[1] - 22)
    body.append(line(seat[0] + 4, seat[1] + 20, *post_top, "#2a2a2a", 5))
    body.append(
        path(
            f"M{f(post_top[0] - 30)},{f(post_top[1] - 2)} Q{f(post_top[0])},"
            f"{f(post_top[1] - 14)} {f(post_top[0] + 26)},{f(post_top[1] - 4)} "
            f"L{f(post_top[0] + 24)},{f(post_top[1] + 2)} L{f(post_top[0] - 28)},"
            f"{f(post_top[1] + 4)}Z",
            "#26221f",
        )
    )
    bar = (head_t[0] - 6, head_t[1] - 26)
    body.append(line(*head_t, *bar, "#2a2a2a", 5))
    body.append(line(bar[0], bar[1], bar[0] - 34, bar[1] + 8, "#2a2a2a", 5))
    body.append(rect(bar[0] - 40, bar[1] + 4, 14, 8, "#3b3b3b", 3))
    body.append(rect(head_b[0] + 4, head_b[1] - 36, 14, 10, "#f7f3d0", 3))
    if frame == "Cargo longtail":
        rack_y = rear[1] - radius - 12
        body.append(rect(seat[0] - 10, rack_y, rear[0] - seat[0] - radius - 30, 10, trim, 3))
        body.append(rect(rear[0] - radius - 10, rack_y, 2 * radius - 10, 10, trim, 3))
        body.append(line(rear[0] - radius + 10, rack_y + 10, rear[0], rear[1], trim, 4))
        body.append(
            rect(
                rear[0] - radius + 10,
                rack_y + 14,
                radius * 1.4,
                48,
                mix(colour, "#ffffff", 0.3),
                6,
                ' opacity="0.9"',
            )
        )
    elif frame in ("Diamond", "Step-through") and rng.random() < 0.6:
        body.append(rect(rear[0] - 50, rear[1] - radius - 14, 90, 7, "#2a2a2a", 2))
        body.append(line(rear[0] - 40, rear[1] - radius - 8, rear[0], rear[1], "#2a2a2a", 2))
    if view == 1 and rng.random() < 0.5:
        return [f'<g transform="translate({W},0) scale(-1,1)">' + "".join(body) + "</g>"], defs
    return body, defs


# ---------------------------------------------------------------------------- expeditions

EXP_SKIES = [
    [("#9fcbe6", "#eef3f2"), ("#b4d7ea", "#f6efe2"), ("#8fc0df", "#e8f0ee")],  # day
    [("#3d3f72", "#f4a76a"), ("#553c6e", "#f6c58a"), ("#2f4a6b", "#f0b090")],  # evening
    [("#1e2a46", "#6f86a8"), ("#25304d", "#8a86a8")],  # blue hour, camp
]


def draw_expedition(product: dict, view: int, rng: random.Random) -> tuple[list, list]:
    art = product.get("art", "peaks")
    sky = EXP_SKIES[view][rng.randrange(len(EXP_SKIES[view]))]
    warm = view == 1
    defs = [gradient("sky", *sky)]
    body = [rect(0, 0, W, H, "url(#sky)")]
    if view == 2:
        body += [
            circle(
                rng.uniform(0, W),
                rng.uniform(10, 220),
                rng.uniform(0.7, 1.7),
                "#ffffff",
                ' opacity="0.75"',
            )
            for _ in range(30)
        ]
    else:
        sun_y = rng.uniform(100, 220) if not warm else rng.uniform(230, 300)
        body.append(
            circle(
                rng.uniform(120, 680),
                sun_y,
                38,
                "#fff4d6" if not warm else "#ffd28a",
                ' opacity="0.9"',
            )
        )
    far = mix(sky[1], "#4a5a78", 0.45)
    near = mix(sky[1], "#1f2f3f", 0.7) if not warm else mix(sky[1], "#3a2540", 0.7)
    snow = "#f7f8fa" if not warm else "#ffe0cc"
    if view == 2:
        snow = "#c9d3e6"
    horizon = 360 + rng.uniform(-20, 20)
    if art in ("ice_sea", "fjord", "islands"):
        height = {"ice_sea": 150, "fjord": 210, "islands": 90}[art]
        pts1, tops = ridge(rng, horizon, height, rng.randint(3, 5), 0.6)
        body.append(poly(pts1, far))
        if art != "islands":
            body += snowcaps(pts1, tops, 60, snow)
        sea = "#2c5d7c" if art != "islands" else "#2b8a9a"
        body.append(rect(0, horizon, W, H - horizon, sea))
        for _ in range(14):
            x, y = rng.uniform(0, W), rng.uniform(horizon + 10, H)
            body.append(line(x, y, x + rng.uniform(20, 60), y, "#ffffff", 1.3, ' opacity="0.2"'))
        if art == "islands":
            for _ in range(3):
                ix, iw = rng.uniform(50, 700), rng.uniform(120, 240)
                iy = horizon + rng.uniform(20, 90)
                body.append(
                    path(
                        f"M{f(ix)},{f(iy)} Q{f(ix + iw / 2)},{f(iy - 70)} {f(ix + iw)},{f(iy)}Z",
                        "#5a4a3c",
                    )
                )
                body.append(
                    path(
                        f"M{f(ix + iw * 0.2)},{f(iy - 12)} Q{f(ix + iw / 2)},"
                        f"{f(iy - 60)} {f(ix + iw * 0.8)},{f(iy - 12)}",
                        stroke="#6f8a4a",
                        width=6,
                    )
                )
            sx = rng.uniform(200, 600)
            body.append(
                path(
                    f"M{f(sx - 40)},{f(horizon + 150)} L{f(sx + 40)},"
                    f"{f(horizon + 150)} L{f(sx + 30)},{f(horizon + 162)} "
                    f"L{f(sx - 32)},{f(horizon + 162)}Z",
                    "#f5f2ea",
                )
            )
            body.append(line(sx, horizon + 150, sx, horizon + 50, "#3a3a3a", 2))
            body.append(
                poly(
                    [(sx - 2, horizon + 55), (sx - 2, horizon + 145), (sx - 45, horizon + 145)],
                    "#fbf8ef",
                )
            )
        else:
            for _ in range(rng.randint(3, 5)):
                ix, iy = rng.uniform(20, 760), horizon + rng.uniform(30, 200)
                iw, ih = rng.uniform(40, 120), rng.uniform(20, 60)
                berg = [
                    (ix, iy),
                    (ix + iw * 0.2, iy - ih),
                    (ix + iw * 0.55, iy - ih * 0.7),
                    (ix + iw * 0.7, iy - ih * 1.1),
                    (ix + iw, iy),
                ]
                body.append(poly(berg, snow))
                body.append(
                    poly(
                        [
                            (ix + iw * 0.55, iy - ih * 0.7),
                            (ix + iw * 0.7, iy - ih * 1.1),
                            (ix + iw, iy),
                            (ix + iw * 0.6, iy),
                        ],
                        "#c8dcea",
                        ' opacity="0.8"',
                    )
                )
                body.append(
                    poly(
                        [(ix + 4, iy), (ix + iw - 4, iy), (ix + iw * 0.5, iy + ih * 0.4)],
                        "#5d8fb0",
                        ' opacity="0.5"',
                    )
                )
        ground_y = H - 60
    else:
        spec = {
            "towers": (240, 7, 0.95),
            "peaks": (260, 4, 0.7),
            "savanna": (200, 1, 0.2),
            "river": (150, 5, 0.5),
        }[art]
        pts1, tops = ridge(rng, horizon, spec[0] * 0.6, spec[1] + 2, spec[2])
        body.append(poly(pts1, far, ' opacity="0.85"'))
        if art != "savanna":
            body += snowcaps(pts1, tops, 30, mix(snow, far, 0.2))
        if art == "savanna":
            cx = rng.uniform(300, 500)
            kili = [
                (cx - 330, horizon + 20),
                (cx - 60, horizon - 170),
                (cx + 70, horizon - 175),
                (cx + 340, horizon + 20),
            ]
            body.append(poly(kili, mix(far, "#000000", 0.15)))
            body.append(
                poly(
                    [
                        (cx - 82, horizon - 145),
                        (cx - 60, horizon - 170),
                        (cx + 70, horizon - 175),
                        (cx + 95, horizon - 148),
                        (cx + 40, horizon - 150),
                        (cx + 10, horizon - 140),
                        (cx - 30, horizon - 150),
                    ],
                    snow,
                )
            )
            body.append(rect(0, horizon + 10, W, H, "#c9a862" if not warm else "#b5884e"))
            for _ in range(3):
                tx, ty = rng.uniform(40, 760), horizon + rng.uniform(60, 160)
                body.append(line(tx, ty, tx + 4, ty - 60, "#3d2e22", 5))
                body.append(
                    path(
                        f"M{f(tx - 60)},{f(ty - 60)} Q{f(tx)},{f(ty - 90)} "
                        f"{f(tx + 66)},{f(ty - 60)}Z",
                        "#3f5a34",
                    )
                )
            ground_y = H - 40
        else:
            near_pts, near_tops = ridge(rng, horizon + 70, spec[0], spec[1], spec[2])
            body.append(poly(near_pts, near))
            body += snowcaps(near_pts, near_tops, 45 if art != "towers" else 25, snow)
            ground = "#6e7f5a" if art == "river" else "#7c7468"
            body.append(
                path(
                    f"M0,{f(horizon + 110)} Q400,{f(horizon + 70)} 800,"
                    f"{f(horizon + 115)} L800,600 L0,600Z",
                    mix(ground, sky[0], 0.25 if view != 2 else 0.5),
                )
            )
            if art == "river":
                body.append(
                    path(
                        f"M{f(rng.uniform(300, 500))},{f(horizon + 95)} "
                        f"C200,{f(horizon + 150)} 650,{f(horizon + 180)} 380,600 "
                        f"L520,600 C760,{f(horizon + 180)} 330,{f(horizon + 150)} "
                        f"{f(rng.uniform(440, 520))},{f(horizon + 95)}Z",
                        "#6f9fbd",
                    )
                )
                for _ in range(12):
                    tx, ty = rng.uniform(0, W), horizon + rng.uniform(110, 220)
                    th = 30 + (ty - horizon) * 0.3
                    body.append(
                        poly([(tx, ty - th), (tx - th * 0.25, ty), (tx + th * 0.25, ty)], "#2f4a38")
                    )
            ground_y = H - 40
    glow = "#ffcf7a"
    if view == 2 and art == "ice_sea":
        sx, sy = rng.uniform(200, 600), horizon + rng.uniform(60, 110)
        hull = f"M{f(sx - 120)},{f(sy)} L{f(sx + 130)},{f(sy)} L{f(sx + 110)},{f(sy + 30)} "
        body.append(path(hull + f"L{f(sx - 110)},{f(sy + 30)}Z", "#7a2a2a"))
        body.append(rect(sx - 70, sy - 34, 120, 34, "#eef0f2", 3))
        body.append(rect(sx - 40, sy - 56, 60, 22, "#eef0f2", 3))
        body.append(line(sx - 10, sy - 56, sx - 10, sy - 96, "#3a3a3a", 3))
        for k in range(7):
            body.append(rect(sx - 62 + k * 16, sy - 24, 8, 8, glow, 2))
        body.append(rect(sx - 120, sy + 32, 250, 5, glow, 2, ' opacity="0.25"'))
    elif view == 2 and art == "fjord":
        body.append(path(f"M0,{H - 90} Q300,{H - 120} 800,{H - 80} L800,600 L0,600Z", "#4a4f55"))
        ground_y = H - 60
        for k in range(2):
            kx, ky = 560 + k * 90, H - 30 + k * 12
            body.append(
                path(
                    f"M{kx - 40},{ky} Q{kx},{ky - 12} {kx + 40},{ky} "
                    f"Q{kx},{ky + 8} {kx - 40},{ky}Z",
                    ["#d9642f", "#e0a63a"][k],
                )
            )
    if view == 2 and art not in ("ice_sea", "islands"):
        for i in range(rng.randint(2, 3)):
            tx = 220 + i * 150 + rng.uniform(-30, 30)
            ty = ground_y + rng.uniform(-10, 20)
            tent = ["#d9642f", "#e0a63a", "#3f7a6a"][(i + rng.randrange(3)) % 3]
            body.append(poly([(tx - 55, ty), (tx, ty - 60), (tx + 55, ty)], tent))
            body.append(
                poly([(tx - 12, ty), (tx, ty - 40), (tx + 12, ty)], glow, ' opacity="0.85"')
            )
        body.append(circle(140, ground_y + 10, 10, glow, ' opacity="0.8"'))
    return body, defs


# ---------------------------------------------------------------------------- furniture

MATERIALS = {
    "Leather": "#9a5632",
    "Wool boucle": "#ece5d6",
    "Walnut": "#6b4a32",
    "White oak": "#d4b48a",
    "Marble": "#e7e9e4",
    "Steel": "#2d2f33",
}
UPHOLSTERY = {
    "Cognac": "#9a5632",
    "Black": "#2a2624",
    "Oat": "#e2d3b8",
    "Ivory": "#ece5d6",
    "Moss": "#7b8a5c",
    "Tan": "#b98a5a",
    "Charcoal": "#4a4a4e",
    "Natural": "#e6dcc8",
    "Verde": "#3f6b5a",
    "Calacatta": "#eeeeea",
    "Ebonized": "#2b2623",
}


def _variant_colour(product: dict, view: int, default: str) -> str:
    names = [v["name"] for v in product["variants"]]
    name = names[view % len(names)] if view < 2 else names[0]
    for word, colour in UPHOLSTERY.items():
        if word in name:
            return colour
    return default


def draw_furniture(product: dict, view: int, rng: random.Random) -> tuple[list, list]:
    art = product.get("art", "sofa")
    material = product["specs"]["material"]
    main = _variant_colour(product, view, MATERIALS.get(material, "#8a7a66"))
    wood = "#6b4a32" if material in ("Walnut", "Leather", "Steel") else "#c9a67a"
    if "oak" in product["variants"][0]["name"].lower() or material == "White oak":
        wood = "#c9a67a"
    dark = mix(main, "#000000", 0.3)
    floor_y = 430
    body = room(rng, view == 1, floor_y, decor=art != "bookcase")
    g = []
    if art == "lounge_chair":
        g.append(path("M-110,-20 Q-130,-190 -40,-230 L10,-215 Q-60,-170 -50,-30Z", wood))
        g.append(rect(-100, -200, 60, 170, main, 24, ' transform="rotate(-14 -70 -115)"'))
        g.append(rect(-70, -70, 150, 48, main, 20))
        g.append(path("M-90,-40 Q-10,-10 90,-40 L90,-10 L-90,-10Z", wood))
        g.append(line(0, -10, 0, 30, "#2a2a2a", 8))
        for dx in (-60, 0, 60):
            g.append(line(0, 30, dx, 58, "#2a2a2a", 6))
        g.append(rect(150, -20, 110, 40, main, 16))
        g.append(rect(160, 18, 90, 10, wood, 4))
        g.append(line(205, 28, 205, 58, "#2a2a2a", 6))
    elif art == "sofa":
        g.append(rect(-230, -150, 460, 110, main, 22))
        for i in range(3):
            g.append(rect(-205 + i * 140, -135, 130, 80, mix(main, "#ffffff", 0.12), 18))
        g.append(rect(-240, -60, 480, 70, main, 16))
        for i in range(3):
            g.append(rect(-205 + i * 140, -70, 130, 34, mix(main, "#000000", 0.05), 12))
        g.append(rect(-255, -100, 50, 110, dark, 20))
        g.append(rect(205, -100, 50, 110, dark, 20))
        for x in (-230, 220):
            g.append(rect(x, 10, 10, 48, wood, 2))
        for _ in range(2):
            g.append(
                rect(
                    rng.uniform(-180, 120),
                    -150,
                    60,
                    60,
                    ["#c36f4a", "#4f6f8f", "#c9a24a"][rng.randrange(3)],
                    14,
                    ' transform="rotate(-8)"',
                )
            )
    elif art == "table":
        g.append(rect(-260, -150, 520, 22, main, 3))
        g.append(rect(-258, -130, 516, 6, mix(main, "#000000", 0.25), 2))
        for x in (-180, 180):
            g.append(path(f"M{x - 8},-128 L{x + 8},-128 L{x + 22},58 L{x - 22},58Z", main))
            g.append(rect(x - 40, 50, 80, 8, mix(main, "#000000", 0.2), 3))
        g.append(rect(-172, -40, 344, 10, mix(main, "#000000", 0.15), 3))
        g.append(path("M-30,-150 Q-40,-190 -10,-200 L10,-200 Q40,-190 30,-150Z", "#e9e4da"))
        g.append(
            path(
                "M-6,-200 Q-20,-240 -40,-250 M0,-200 L4,-262 M6,-200 Q24,-236 44,-244",
                stroke="#4f6f4a",
                width=3,
            )
        )
    elif art == "sideboard":
        g.append(rect(-240, -150, 480, 170, main, 4))
        for i in range(1, 4):
            g.append(line(-240 + i * 120, -146, -240 + i * 120, 16, dark, 2))
        for i in range(4):
            g.append(rect(-185 + i * 120, -80, 10, 34, dark, 3))
        for x in (-215, 205):
            g.append(path(f"M{x},20 L{x + 10},20 L{x + 14},58 L{x + 4},58Z", wood))
        g.append(path("M-160,-150 Q-175,-205 -140,-215 Q-105,-205 -120,-150Z", "#c36f4a"))
        g.append(line(120, -150, 120, -250, "#2a2a2a", 3))
        g.append(path("M85,-250 L155,-250 L140,-290 L100,-290Z", "#f1e6c8"))
        g.append(rect(20, -170, 70, 20, "#4f6f8f", 2))
        g.append(rect(26, -188, 60, 18, "#c9a24a", 2))
    elif art == "coffee_table":
        vein = mix(main, "#6a6a6a", 0.5)
        heights = [92, 110, 80]
        rng.shuffle(heights)
        for (x, w), h in zip(((-200, 190), (-30, 150), (110, 110)), heights, strict=True):
            g.append(rect(x, 58 - h, w, h, main, 3, f' stroke="{vein}" stroke-width="1"'))
            for _ in range(3):
                vx = x + rng.uniform(8, w - 8)
                g.append(
                    path(
                        f"M{f(vx)},{f(58 - h)} Q{f(vx + rng.uniform(-20, 20))},"
                        f"{f(58 - h / 2)} {f(vx + rng.uniform(-w / 4, w / 4))},58",
                        stroke=vein,
                        width=1,
                        extra=' opacity="0.6"',
                    )
                )
        g.append(rect(-170, 58 - heights[0] - 12, 70, 12, "#3a4a5a", 2))
        g.append(circle(40, 58 - heights[1] - 14, 14, "#b35a3a"))
    elif art == "chairs":
        for ox, s in ((-150, 1.0), (120, 0.92)):
            c = []
            c.append(path("M-70,-20 Q0,-34 70,-20 L66,0 Q0,-10 -66,0Z", main))
            for lx, fx in ((-55, -80), (-25, -40), (25, 40), (55, 80)):
                c.append(line(lx, 0, fx, 120, mix(main, "#000000", 0.15), 7))
            c.append(line(-62, 70, 62, 70, mix(main, "#000000", 0.15), 4))
            for k in range(7):
                x = -45 + k * 15
                c.append(line(x, -24, x * 1.3, -230, main, 4))
            c.append(path("M-75,-225 Q0,-250 75,-225 L72,-208 Q0,-232 -72,-208Z", main))
            g.append(f'<g transform="translate({ox},-60) scale({s})">' + "".join(c) + "</g>")
    elif art == "daybed":
        g.append(rect(-250, -30, 500, 40, wood, 4))
        for x in (-240, 225):
            g.append(rect(x, 10, 14, 48, wood, 2))
        g.append(rect(-245, -85, 490, 60, main, 16))
        for x in (-215, 215):
            g.append(circle(x, -110, 32, mix(main, "#000000", 0.12)))
            g.append(circle(x, -110, 12, mix(main, "#000000", 0.2)))
        g.append(rect(-60, -100, 120, 20, "#c9a24a", 8, ' transform="rotate(-4)"'))
    elif art == "desk":
        g.append(rect(-250, -140, 500, 24, main, 3))
        for x in (-240, 110):
            g.append(rect(x, -116, 130, 174, main, 3))
            for k in range(3):
                g.append(
                    rect(
                        x + 10,
                        -106 + k * 56,
                        110,
                        46,
                        mix(main, "#ffffff", 0.08),
                        2,
                        f' stroke="{dark}" stroke-width="1.5"',
                    )
                )
                g.append(rect(x + 55, -86 + k * 56, 20, 6, "#c9a24a", 2))
        g.append(rect(-110, -116, 220, 30, mix(main, "#000000", 0.15), 2))
        g.append(line(170, -140, 150, -230, "#2a2a2a", 3))
        g.append(path("M120,-236 L190,-220 L182,-205 L118,-220Z", "#2a2a2a"))
        g.append(rect(-150, -154, 90, 14, "#efe9dc", 2))
    elif art == "bookcase":
        steel = MATERIALS["Steel"]
        shelf = "#6b4a32"
        bays = 3
        bw = 150
        x0 = -bays * bw / 2
        for b in range(bays):
            x = x0 + b * bw
            top = -330 if b % 2 == 0 else -310
            if b % 2 == 0:
                g.append(
                    path(
                        f"M{x},{58} L{x},{top + 40} A{bw / 2},{bw / 2} 0 0 1 {x + bw},"
                        f"{top + 40} L{x + bw},58",
                        stroke=steel,
                        width=6,
                    )
                )
            else:
                g.append(rect(x, top, bw, 368, "none", 0, f' stroke="{steel}" stroke-width="6"'))
            for k in range(5):
                sy = 40 - k * 68
                g.append(rect(x + 4, sy, bw - 8, 8, shelf, 1))
                bx = x + 10
                while bx < x + bw - 24:
                    bk_w, bk_h = rng.uniform(8, 18), rng.uniform(36, 58)
                    colour = ["#8c3f3a", "#2f4a5c", "#c9a24a", "#4f6f4a", "#e6dcc8", "#5a4a6a"][
                        rng.randrange(6)
                    ]
                    if rng.random() < 0.85:
                        g.append(rect(bx, sy - bk_h, bk_w, bk_h, colour, 1))
                    bx += bk_w + 2
    scale = 1.0 if view < 2 else 1.35
    cx = 400 + (rng.uniform(-40, 40) if view < 2 else 0)
    cy = floor_y + 20 if view < 2 else floor_y + 70
    shadow = '<ellipse cx="0" cy="60" rx="280" ry="14" fill="#000000" opacity="0.12"/>'
    body.append(
        f'<g transform="translate({f(cx)},{f(cy)}) scale({scale})">{shadow}' + "".join(g) + "</g>"
    )
    return body, []


DRAWERS: dict[str, Callable[[dict, int, random.Random], tuple[list, list]]] = {
    "sailboats": draw_sailboat,
    "pianos": draw_piano,
    "e-bikes": draw_ebike,
    "expeditions": draw_expedition,
    "furniture": draw_furniture,
}

# Stand-ins for the category pictures: a typical product of each kind.
CATEGORY_SAMPLES = {
    "sailboats": {"specs": {"hull_material": "Fiberglass", "length": "36"}},
    "pianos": {"specs": {"finish": "Polished ebony", "length_cm": "212"}},
    "e-bikes": {"name": "", "specs": {"frame": "Diamond"}},
    "expeditions": {"art": "peaks", "specs": {}},
    "furniture": {
        "art": "lounge_chair",
        "specs": {"material": "Leather"},
        "variants": [{"name": "Cognac leather"}],
    },
}
CATEGORY_VIEWS = {"sailboats": 0, "pianos": 0, "e-bikes": 2, "expeditions": 1, "furniture": 0}


# ---------------------------------------------------------------------------- avatars

AVATAR_COLOURS = ["#2f6f8f", "#8c3f5a", "#3d6b4f", "#b0643a", "#4b4f8a", "#6b5a3a"]


def avatar(name: str, email: str, index: int) -> str:
    initials = "".join(part[0] for part in name.split()[:2]).upper()
    digest = hashlib.sha256(email.encode()).digest()
    colour = AVATAR_COLOURS[(index + digest[0]) % len(AVATAR_COLOURS)]
    body = [
        circle(128, 128, 128, colour),
        circle(128, 128, 118, "none", f' stroke="{mix(colour, "#ffffff", 0.3)}" stroke-width="2"'),
        '<text x="128" y="128" dy="0.35em" text-anchor="middle" font-family="Helvetica, Arial,'
        ' sans-serif" font-size="96" font-weight="600" fill="#ffffff" letter-spacing="2">'
        f"{initials}</text>",
    ]
    return document(body, [], name, 256, 256)


# ---------------------------------------------------------------------------- spec sheets


def money(cents: int) -> str:
    """Cents as "$42,500.00", with integer arithmetic only."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def spec_value(attribute: dict, raw: str) -> str:
    if attribute["kind"] == "number":
        number = Decimal(raw)
        text = f"{number:,.{attribute['decimals']}f}"
        return f"{text} {attribute['unit']}".strip()
    if attribute["kind"] == "date":
        d = date.fromisoformat(raw)
        return f"{d:%b} {d.day}, {d.year}"
    return raw


def availability(variant: dict, trip: bool) -> str:
    if trip:
        if variant["made_to_order"]:
            return f"{variant['build_weeks']} weeks' notice"
        return "Places available" if variant["stock_on_hand"] > 0 else "Full"
    if variant["stock_on_hand"] > 0:
        where = f" ({variant['stock_location']})" if variant["stock_location"] else ""
        return f"In stock{where}"
    if variant["made_to_order"]:
        return f"Made to order, {variant['build_weeks']} weeks"
    return "Sold out"


def spec_sheet(product: dict, category: dict) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    trip = category["slug"] == "expeditions"
    pdf = FPDF(format="letter", unit="pt")
    pdf.set_creation_date(PDF_DATE)
    pdf.set_title(f"{product['name']}: spec sheet")
    pdf.set_author(STORE_NAME)
    pdf.set_creator(STORE_NAME)
    pdf.set_margins(54, 54, 54)
    pdf.set_auto_page_break(True, 60)
    pdf.add_page()
    ink, muted, accent = (28, 37, 48), (100, 108, 118), (31, 53, 82)
    width = pdf.w - 108

    pdf.set_font("Helvetica", "B", 9)
    pdf.set_text_color(*accent)
    pdf.cell(
        width,
        12,
        f"{STORE_NAME.upper()}  /  {category['name'].upper()}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(6)
    pdf.set_text_color(*ink)
    pdf.set_font("Helvetica", "B", 22)
    pdf.multi_cell(width, 26, product["name"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 10)
    pdf.set_text_color(*muted)
    pdf.cell(width, 14, product["brand"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_text_color(*ink)
    pdf.set_font("Helvetica", "", 12)
    pdf.multi_cell(width, 16, product["summary"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(10)

    def heading(text: str) -> None:
        pdf.set_font("Helvetica", "B", 12)
        pdf.set_text_color(*accent)
        pdf.cell(width, 18, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(*accent)
        pdf.line(54, pdf.get_y(), 54 + width, pdf.get_y())
        pdf.ln(4)
        pdf.set_text_color(*ink)

    heading("Specifications")
    rows = [
        (a["label"], spec_value(a, product["specs"][a["code"]]))
        for a in category["attributes"]
        if a["code"] in product["specs"]
    ]
    if product["has_serial_numbers"]:
        warranty = f"{product['warranty_months']} months"
        rows.append(("Warranty", warranty))
    for i, (label, value) in enumerate(rows):
        fill = i % 2 == 0
        pdf.set_fill_color(243, 241, 236)
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(width * 0.42, 18, f"  {label}", fill=fill)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(width * 0.58, 18, value, fill=fill, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(12)

    heading("Versions and prices")
    cols = (0.22, 0.34, 0.18, 0.26)
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_text_color(*muted)
    for label, share, align in zip(
        ("SKU", "Version", "Price", "Availability"), cols, ("L", "L", "R", "L"), strict=True
    ):
        pdf.cell(
            width * share,
            16,
            ("  " if align == "L" else "") + label + ("  " if align == "R" else ""),
            align=align,
        )
    pdf.ln(16)
    pdf.set_text_color(*ink)
    for i, v in enumerate(product["variants"]):
        pdf.set_fill_color(243, 241, 236)
        fill = i % 2 == 0
        pdf.set_font("Courier", "", 9)
        pdf.cell(width * cols[0], 18, f"  {v['sku']}", fill=fill)
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(width * cols[1], 18, f"  {v['name']}", fill=fill)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(width * cols[2], 18, money(v["price_cents"]) + "  ", fill=fill, align="R")
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(
            width * cols[3],
            18,
            f"  {availability(v, trip)}",
            fill=fill,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(14)

    heading("About it")
    pdf.set_font("Helvetica", "", 10)
    first = product["description"].split("\n\n")[0]
    pdf.multi_cell(width, 14, first, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(16)
    pdf.set_font("Helvetica", "I", 8)
    pdf.set_text_color(*muted)
    if trip:
        note = (
            "Prices are per person in US dollars and include guiding, permits, food and lodging "
            "on the trip; flights to the starting point are not included. Itineraries can "
            "change with weather and ice; your specialist confirms every detail in writing "
            "before you book."
        )
    else:
        note = (
            "Prices are in US dollars and include commissioning or delivery within the "
            "contiguous United States unless noted. Specifications can change between model "
            "years; your specialist confirms every detail in writing before you order."
        )
    pdf.multi_cell(
        width,
        11,
        f"{note} {STORE_NAME}, Portland, Oregon.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    return bytes(pdf.output())


# ---------------------------------------------------------------------------- main


def write(target: Path, data: str | bytes) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    target.write_bytes(raw)
    return len(raw)


def main() -> None:
    categories = {c["slug"]: c for c in CATEGORIES}
    sizes: dict[str, list[int]] = {"products": [], "categories": [], "staff": [], "docs": []}
    for product in PRODUCTS:
        slug, category = product["slug"], product["category"]
        for n in range(1, product["images"] + 1):
            rng = seeded(slug, n)
            body, defs = DRAWERS[category](product, n - 1, rng)
            title = IMAGE_VIEWS[category][n - 1].format(name=product["name"])
            svg = document(body, defs, title)
            sizes["products"].append(write(STATIC / "img/products" / f"{slug}-{n}.svg", svg))
        if product["spec_sheet"]:
            pdf = spec_sheet(product, categories[category])
            sizes["docs"].append(write(STATIC / "docs" / f"{slug}-spec-sheet.pdf", pdf))
    for category in CATEGORIES:
        slug = category["slug"]
        sample = {"name": category["name"], "variants": [{"name": ""}], **CATEGORY_SAMPLES[slug]}
        body, defs = DRAWERS[slug](sample, CATEGORY_VIEWS[slug], seeded("category", slug))
        svg = document(body, defs, category["name"])
        sizes["categories"].append(write(STATIC / "img/categories" / f"{slug}.svg", svg))
    staff = [a for a in STAFF if a["role"] != "buyer"]
    for index, account in enumerate(staff):
        local = account["email"].split("@")[0]
        svg = avatar(account["name"], account["email"], index)
        sizes["staff"].append(write(STATIC / "img/staff" / f"{local}.svg", svg))
    for kind, values in sizes.items():
        if values:
            print(
                f"{kind}: {len(values)} files, largest {max(values):,} bytes, "
                f"total {sum(values):,} bytes"
            )


if __name__ == "__main__":
    main()
