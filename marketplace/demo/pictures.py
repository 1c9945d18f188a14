"""Product pictures for the demo town, drawn with Pillow: a soft background in the
category's colour and a simple drawing of the thing (a loaf, a cheese wedge, a bottle, a
bike wheel...). One picture per kind of product (its base name), so 480 products need about
seventy drawings and 100,000 products the same seventy files. No network, no bundled
images: the same base name always gives the same picture."""

import io
import math
import random

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 640, 480
# Drawn at twice the size and scaled down: smooth edges without an anti-aliasing library.
SCALE = 2

# Background per top-level category, and a darker tone for the floor shadow.
BACKGROUNDS = {
    "food": (251, 236, 214),
    "home": (226, 240, 224),
    "bikes": (222, 233, 245),
    "books": (240, 230, 245),
    "clothing": (246, 228, 232),
    "toys": (252, 244, 208),
    "services": (230, 236, 238),
}

BROWN, CRUST, DOUGH = (150, 95, 50), (181, 117, 58), (236, 196, 140)
DARK, STEEL, WHITE = (60, 60, 66), (150, 158, 168), (255, 255, 255)

# Base name → (motif, main colour).
MOTIFS: dict[str, tuple[str, tuple[int, int, int]]] = {
    "sourdough loaf": ("loaf", CRUST),
    "bread rolls": ("rolls", (200, 140, 70)),
    "croissant": ("croissant", (214, 150, 66)),
    "cake": ("cake", (235, 190, 150)),
    "pretzel": ("pretzel", BROWN),
    "baguette": ("baguette", (214, 160, 90)),
    "cookies": ("cookies", (196, 140, 80)),
    "potatoes": ("fruit", (196, 160, 100)),
    "apples": ("fruit", (205, 45, 45)),
    "carrots": ("carrot", (240, 130, 30)),
    "tomatoes": ("fruit", (226, 60, 40)),
    "onions": ("fruit", (170, 90, 120)),
    "salad": ("salad", (110, 180, 70)),
    "pears": ("pear", (180, 200, 80)),
    "milk": ("bottle", (250, 250, 250)),
    "oat milk": ("carton", (230, 210, 170)),
    "yoghurt": ("jar", (250, 250, 245)),
    "free-range eggs": ("eggs", (238, 214, 180)),
    "pasta": ("packet", (240, 200, 90)),
    "lentils": ("packet", (200, 90, 60)),
    "honey": ("jar", (230, 160, 30)),
    "jam": ("jar", (180, 30, 60)),
    "sausages": ("sausages", (170, 80, 60)),
    "steak": ("meat", (180, 50, 50)),
    "minced beef": ("meat", (200, 70, 70)),
    "chicken": ("drumstick", (220, 170, 110)),
    "ham": ("meat", (230, 140, 140)),
    "pâté": ("jar", (160, 110, 80)),
    "cheese": ("cheese", (250, 205, 80)),
    "butter": ("block", (250, 225, 120)),
    "camembert": ("round", (245, 240, 225)),
    "quark": ("jar", (250, 250, 250)),
    "inner tube": ("wheel", DARK),
    "tyre": ("wheel", DARK),
    "brake pads": ("block", DARK),
    "chain": ("chain", STEEL),
    "bike light": ("bulb", (250, 220, 80)),
    "lock": ("lock", (230, 80, 40)),
    "pannier bag": ("bag", (40, 110, 160)),
    "helmet": ("helmet", (40, 150, 130)),
    "bike service": ("wrench", STEEL),
    "refurbished bike": ("bike", (40, 120, 180)),
    "novel": ("book", (60, 90, 150)),
    "cookbook": ("book", (200, 90, 50)),
    "picture book": ("book", (240, 170, 40)),
    "town guide": ("book", (60, 140, 90)),
    "notebook": ("book", (120, 120, 120)),
    "jacket": ("shirt", (80, 100, 130)),
    "jumper": ("shirt", (170, 60, 70)),
    "jeans": ("trousers", (50, 80, 140)),
    "dress": ("dress", (200, 100, 150)),
    "children's clothes bundle": ("shirt", (250, 170, 60)),
    "repair": ("wrench", STEEL),
    "repair workshop": ("wrench", (200, 120, 40)),
    "spare part kit": ("screws", STEEL),
    "bouquet": ("flowers", (230, 80, 120)),
    "potted herb": ("plant", (90, 160, 70)),
    "houseplant": ("plant", (40, 130, 70)),
    "seeds": ("packet", (120, 170, 80)),
    "screws": ("screws", STEEL),
    "hammer": ("hammer", (190, 60, 40)),
    "screwdriver set": ("screwdriver", (220, 170, 30)),
    "paint": ("tin", (90, 150, 200)),
    "drill hire": ("drill", (40, 110, 180)),
    "light bulb": ("bulb", (250, 220, 80)),
    "coffee beans": ("beans", (110, 70, 40)),
    "loose-leaf tea": ("cup", (120, 160, 90)),
    "drinking chocolate": ("cup", (110, 70, 50)),
    "coffee filter": ("cup", (240, 240, 240)),
    "wooden toy": ("blocks", (220, 120, 60)),
    "board game": ("board", (60, 140, 120)),
    "puzzle": ("puzzle", (90, 130, 200)),
    "plush animal": ("bear", (190, 140, 90)),
    "T-shirt": ("shirt", (70, 150, 140)),
    "socks": ("sock", (150, 90, 160)),
    "hoodie": ("shirt", (110, 110, 130)),
    "linen shirt": ("shirt", (235, 225, 200)),
    "oats": ("bowl", (225, 200, 150)),
    "rice": ("bowl", (245, 245, 235)),
    "olive oil": ("bottle", (150, 160, 40)),
    "nuts": ("beans", (170, 120, 70)),
    "muesli": ("bowl", (210, 170, 110)),
    "washing-up liquid": ("bottle", (240, 220, 60)),
    "laundry detergent": ("bottle", (140, 110, 200)),
}


def shade(colour, amount: float):
    """Darker (amount < 1) or lighter (amount > 1) version of a colour."""
    if amount <= 1:
        return tuple(int(c * amount) for c in colour)
    return tuple(int(c + (255 - c) * (amount - 1)) for c in colour)


class Canvas:
    """Draws in a 0-100 × 0-75 coordinate box, scaled to the image."""

    def __init__(self, image: Image.Image):
        self.draw = ImageDraw.Draw(image)
        self.k = image.width / 100

    def _p(self, *xy):
        return [v * self.k for v in xy]

    def ellipse(self, x0, y0, x1, y1, fill, outline=None, width=0):
        self.draw.ellipse(
            self._p(x0, y0, x1, y1), fill=fill, outline=outline, width=int(width * self.k)
        )

    def rect(self, x0, y0, x1, y1, fill, radius=0, outline=None, width=0):
        self.draw.rounded_rectangle(
            self._p(x0, y0, x1, y1),
            radius=radius * self.k,
            fill=fill,
            outline=outline,
            width=int(width * self.k),
        )

    def poly(self, points, fill, outline=None, width=0):
        flat = [v * self.k for point in points for v in point]
        self.draw.polygon(flat, fill=fill, outline=outline, width=int(width * self.k))

    def line(self, points, fill, width):
        flat = [v * self.k for point in points for v in point]
        self.draw.line(flat, fill=fill, width=max(1, int(width * self.k)), joint="curve")

    def arc(self, x0, y0, x1, y1, start, end, fill, width):
        self.draw.arc(self._p(x0, y0, x1, y1), start, end, fill=fill, width=int(width * self.k))


# Motifs: each draws the thing around the centre (50, 38) of the box.
def _loaf(c, col, rng):
    c.ellipse(22, 24, 78, 56, shade(col, 0.8))
    c.ellipse(22, 21, 78, 52, col)
    for x in (36, 48, 60):
        c.line([(x - 4, 30), (x + 4, 42)], shade(col, 1.4), 1.6)


def _rolls(c, col, rng):
    for x, y in ((24, 34), (50, 28), (50, 42), (76, 34)):
        c.ellipse(x - 13, y - 9, x + 13, y + 9, col)
        c.line([(x - 5, y - 1), (x + 5, y - 1)], shade(col, 1.4), 1.2)


def _croissant(c, col, rng):
    for n, w in enumerate((14, 18, 22, 18, 14)):
        x = 22 + n * 14
        y = 38 - (8 if n == 2 else 4 if n in (1, 3) else 0)
        c.ellipse(x - w / 2, y - w / 2.4, x + w / 2, y + w / 2.4, shade(col, 1 - 0.06 * n))


def _cake(c, col, rng):
    c.rect(24, 34, 76, 58, col, radius=2)
    c.ellipse(24, 28, 76, 40, shade(col, 1.3))
    c.rect(24, 44, 76, 47, shade(col, 0.7))
    c.ellipse(46, 22, 54, 30, (190, 30, 50))


def _pretzel(c, col, rng):
    c.arc(22, 18, 78, 64, 150, 390, col, 6)
    c.line([(32, 58), (62, 30)], col, 6)
    c.line([(68, 58), (38, 30)], col, 6)
    for x, y in ((40, 24), (56, 22), (30, 44), (70, 44)):
        c.ellipse(x - 1, y - 1, x + 1, y + 1, WHITE)


def _baguette(c, col, rng):
    c.poly([(14, 50), (20, 42), (84, 22), (90, 28), (84, 36), (20, 56)], col)
    for n in range(4):
        x = 30 + n * 14
        c.line([(x, 44 - n * 4), (x + 8, 40 - n * 4)], shade(col, 1.4), 1.4)


def _cookies(c, col, rng):
    for x, y in ((34, 30), (62, 32), (46, 48)):
        c.ellipse(x - 14, y - 12, x + 14, y + 12, col)
        for _ in range(5):
            dx, dy = rng.uniform(-8, 8), rng.uniform(-6, 6)
            c.ellipse(x + dx - 1.6, y + dy - 1.6, x + dx + 1.6, y + dy + 1.6, (80, 50, 30))


def _fruit(c, col, rng):
    for x, y, r in ((34, 42, 14), (62, 44, 14), (48, 28, 13)):
        c.ellipse(x - r, y - r, x + r, y + r, shade(col, rng.uniform(0.85, 1.05)))
        c.ellipse(x - r / 2, y - r / 1.6, x - r / 6, y - r / 4, shade(col, 1.35))
    c.line([(48, 16), (50, 11)], (90, 60, 30), 1.4)
    c.ellipse(50, 10, 58, 15, (80, 150, 60))


def _pear(c, col, rng):
    c.ellipse(34, 32, 66, 64, col)
    c.ellipse(40, 16, 60, 42, col)
    c.line([(50, 16), (52, 9)], (90, 60, 30), 1.4)
    c.ellipse(52, 9, 60, 14, (80, 150, 60))


def _carrot(c, col, rng):
    for dx in (-10, 4, 16):
        c.poly([(40 + dx, 26), (52 + dx, 26), (47 + dx, 66)], shade(col, 1 - abs(dx) / 80))
        c.poly(
            [(43 + dx, 27), (38 + dx, 12), (46 + dx, 26), (50 + dx, 10), (49 + dx, 27)],
            (80, 150, 60),
        )


def _salad(c, col, rng):
    for n in range(7):
        angle = n / 7 * 2 * math.pi
        x, y = 50 + 12 * math.cos(angle), 38 + 10 * math.sin(angle)
        c.ellipse(x - 14, y - 12, x + 14, y + 12, shade(col, 0.8 + n * 0.04))
    c.ellipse(40, 30, 60, 46, shade(col, 1.3))


def _bottle(c, col, rng):
    c.rect(40, 10, 60, 16, shade(col, 0.6), radius=1)
    c.poly([(42, 16), (58, 16), (64, 28), (36, 28)], shade(col, 0.95))
    c.rect(36, 26, 64, 66, col, radius=3, outline=shade(col, 0.75), width=0.6)
    c.rect(39, 38, 61, 54, WHITE, radius=1)
    c.rect(42, 43, 58, 46, shade(col, 0.6))


def _carton(c, col, rng):
    c.poly([(36, 22), (50, 12), (64, 22)], shade(col, 0.85))
    c.rect(36, 22, 64, 66, col)
    c.rect(39, 36, 61, 52, WHITE)
    c.ellipse(45, 40, 55, 48, (110, 170, 80))


def _jar(c, col, rng):
    c.rect(34, 14, 66, 22, (190, 60, 60) if sum(col) > 600 else (230, 230, 230), radius=2)
    c.rect(32, 22, 68, 66, col, radius=6, outline=shade(col, 0.8), width=0.6)
    c.rect(37, 36, 63, 52, WHITE, radius=1)
    c.rect(41, 42, 59, 45, shade(col, 0.55))


def _eggs(c, col, rng):
    c.rect(16, 40, 84, 62, (170, 170, 160), radius=3)
    for n in range(5):
        x = 24 + n * 13
        c.ellipse(x - 6, 26, x + 6, 46, shade(col, 1 - 0.03 * (n % 2)))


def _packet(c, col, rng):
    c.poly([(34, 14), (66, 14), (70, 66), (30, 66)], col)
    c.rect(34, 14, 66, 19, shade(col, 0.75))
    c.rect(40, 30, 60, 50, WHITE, radius=2)
    c.ellipse(45, 35, 55, 45, shade(col, 0.7))


def _sausages(c, col, rng):
    for n in range(3):
        y = 26 + n * 12
        c.rect(20 + n * 3, y, 80 - n * 3, y + 9, shade(col, 1 - 0.05 * n), radius=4.5)
        c.line([(26 + n * 3, y + 3), (30 + n * 3, y + 3)], shade(col, 1.4), 1)


def _meat(c, col, rng):
    c.poly([(22, 30), (40, 18), (70, 20), (82, 36), (70, 56), (36, 58), (20, 46)], col)
    c.poly(
        [(22, 30), (40, 18), (70, 20), (82, 36), (70, 56), (36, 58), (20, 46)],
        None,
        outline=(245, 230, 220),
        width=2,
    )
    c.line([(34, 36), (50, 32), (66, 40)], (245, 225, 215), 1.4)


def _drumstick(c, col, rng):
    c.ellipse(24, 22, 62, 56, col)
    c.poly([(54, 44), (60, 36), (74, 50), (68, 56)], col)
    for x, y in ((74, 48), (70, 56)):
        c.ellipse(x - 4, y - 4, x + 4, y + 4, (245, 240, 230))


def _cheese(c, col, rng):
    c.poly([(20, 56), (80, 56), (80, 34), (20, 46)], shade(col, 0.9))
    c.poly([(20, 46), (80, 34), (62, 22)], shade(col, 1.15))
    for x, y, r in ((34, 50, 2.5), (52, 48, 3.5), (68, 46, 2), (62, 52, 1.6)):
        c.ellipse(x - r, y - r, x + r, y + r, shade(col, 0.75))


def _block(c, col, rng):
    c.poly([(26, 34), (46, 24), (80, 30), (60, 40)], shade(col, 1.15))
    c.poly([(26, 34), (60, 40), (60, 58), (26, 52)], col)
    c.poly([(60, 40), (80, 30), (80, 48), (60, 58)], shade(col, 0.85))


def _round(c, col, rng):
    c.ellipse(24, 34, 76, 60, shade(col, 0.85))
    c.rect(24, 36, 76, 48, shade(col, 0.85))
    c.ellipse(24, 22, 76, 48, col)


def _wheel(c, col, rng):
    c.ellipse(22, 10, 78, 66, col)
    c.ellipse(28, 16, 72, 60, BACKGROUNDS["bikes"])
    c.ellipse(30, 18, 70, 58, None, outline=STEEL, width=1)
    for n in range(12):
        angle = n / 12 * 2 * math.pi
        c.line([(50, 38), (50 + 20 * math.cos(angle), 38 + 20 * math.sin(angle))], STEEL, 0.5)
    c.ellipse(47, 35, 53, 41, DARK)


def _bike(c, col, rng):
    for x in (28, 72):
        c.ellipse(x - 15, 33, x + 15, 63, None, outline=DARK, width=2)
    frame = [(28, 48), (44, 30), (66, 30), (50, 48), (28, 48)]
    c.line(frame, col, 2)
    c.line([(50, 48), (42, 24)], col, 2)
    c.line([(66, 30), (72, 48)], col, 2)
    c.line([(38, 24), (46, 24)], DARK, 2)
    c.line([(64, 22), (68, 30)], DARK, 1.6)


def _chain(c, col, rng):
    for n in range(6):
        x = 16 + n * 12
        c.rect(x, 32, x + 16, 44, None, radius=6, outline=shade(col, 0.8 + 0.05 * (n % 2)), width=2)


def _bulb(c, col, rng):
    c.ellipse(32, 10, 68, 46, col)
    c.rect(42, 42, 58, 54, STEEL, radius=1)
    for y in (45, 49):
        c.line([(42, y), (58, y)], shade(STEEL, 0.7), 0.8)
    c.ellipse(40, 16, 48, 26, shade(col, 1.5))


def _lock(c, col, rng):
    c.arc(34, 12, 66, 46, 180, 360, STEEL, 4)
    c.line([(36, 29), (36, 38)], STEEL, 4)
    c.line([(64, 29), (64, 38)], STEEL, 4)
    c.rect(28, 36, 72, 62, col, radius=3)
    c.ellipse(47, 44, 53, 50, DARK)


def _bag(c, col, rng):
    c.arc(38, 10, 62, 34, 180, 360, shade(col, 0.7), 2.4)
    c.rect(26, 22, 74, 64, col, radius=5)
    c.rect(26, 22, 74, 34, shade(col, 0.85), radius=5)
    c.rect(46, 30, 54, 38, STEEL, radius=1)


def _helmet(c, col, rng):
    c.ellipse(22, 16, 78, 72, col)
    c.rect(20, 46, 80, 72, BACKGROUNDS["bikes"])
    c.rect(20, 44, 80, 48, shade(col, 0.6), radius=2)
    for x in (36, 50, 64):
        c.ellipse(x - 3, 24, x + 3, 36, shade(col, 0.7))


def _wrench(c, col, rng):
    c.line([(30, 58), (64, 24)], col, 7)
    c.ellipse(58, 12, 78, 32, col)
    c.ellipse(65, 14, 73, 22, BACKGROUNDS["services"])
    c.ellipse(24, 52, 36, 64, shade(col, 0.8))


def _book(c, col, rng):
    c.rect(30, 14, 72, 64, shade(col, 0.7), radius=1)
    c.rect(32, 14, 74, 62, (245, 240, 230), radius=1)
    c.rect(28, 12, 70, 62, col, radius=1)
    c.rect(28, 12, 32, 62, shade(col, 0.75))
    c.rect(38, 22, 64, 28, shade(col, 1.5))
    c.rect(38, 32, 58, 34, shade(col, 1.5))


def _shirt(c, col, rng):
    points = [
        (36, 14),
        (44, 18),
        (56, 18),
        (64, 14),
        (80, 24),
        (74, 34),
        (66, 30),
        (66, 64),
        (34, 64),
        (34, 30),
        (26, 34),
        (20, 24),
    ]
    c.poly(points, col, outline=shade(col, 0.8), width=0.6)
    c.arc(43, 10, 57, 24, 0, 180, shade(col, 0.7), 1.4)


def _trousers(c, col, rng):
    c.poly([(32, 12), (68, 12), (72, 66), (56, 66), (50, 30), (44, 66), (28, 66)], col)
    c.rect(32, 12, 68, 17, shade(col, 0.75))
    c.line([(50, 17), (50, 28)], shade(col, 0.75), 0.8)


def _dress(c, col, rng):
    c.poly([(42, 12), (58, 12), (60, 30), (76, 66), (24, 66), (40, 30)], col)
    c.rect(40, 28, 60, 32, shade(col, 0.75))


def _sock(c, col, rng):
    for dx, tone in ((-8, 0.85), (8, 1.0)):
        c.poly(
            [
                (38 + dx, 12),
                (54 + dx, 12),
                (54 + dx, 48),
                (64 + dx, 58),
                (58 + dx, 66),
                (38 + dx, 56),
            ],
            shade(col, tone),
        )
        c.rect(38 + dx, 12, 54 + dx, 18, shade(col, tone * 0.8))


def _flowers(c, col, rng):
    for n, (x, y) in enumerate(((38, 22), (52, 16), (64, 26), (46, 32), (58, 36))):
        c.line([(x, y), (50, 62)], (70, 130, 60), 1.2)
        tone = shade(col, 0.8 + 0.1 * (n % 3))
        for k in range(5):
            angle = k / 5 * 2 * math.pi
            px, py = x + 4 * math.cos(angle), y + 4 * math.sin(angle)
            c.ellipse(px - 3.4, py - 3.4, px + 3.4, py + 3.4, tone)
        c.ellipse(x - 2, y - 2, x + 2, y + 2, (250, 210, 80))
    c.poly([(42, 50), (58, 50), (54, 66), (46, 66)], (240, 230, 210))


def _plant(c, col, rng):
    for n in range(7):
        angle = math.pi + n / 6 * math.pi
        x, y = 50 + 20 * math.cos(angle), 36 + 18 * math.sin(angle)
        c.line([(50, 44), (x, y)], shade(col, 0.8), 1)
        c.ellipse(x - 7, y - 5, x + 7, y + 5, shade(col, 0.9 + 0.05 * (n % 3)))
    c.poly([(34, 44), (66, 44), (62, 66), (38, 66)], (200, 110, 70))
    c.rect(32, 42, 68, 48, (180, 95, 60), radius=1)


def _screws(c, col, rng):
    for n in range(5):
        x, y = 24 + n * 12, 22 + (n % 2) * 10
        c.ellipse(x - 5, y - 3, x + 5, y + 3, shade(col, 0.85))
        c.poly([(x - 2, y), (x + 2, y), (x, y + 30)], col)
        for k in range(4):
            c.line([(x - 2.5, y + 5 + k * 5), (x + 2.5, y + 7 + k * 5)], shade(col, 0.7), 0.6)


def _hammer(c, col, rng):
    c.line([(36, 64), (58, 22)], (170, 120, 70), 5)
    c.poly([(42, 14), (74, 28), (70, 36), (38, 22)], STEEL)
    c.line([(36, 64), (44, 48)], col, 6)


def _screwdriver(c, col, rng):
    for n, dx in enumerate((-14, 0, 14)):
        c.rect(44 + dx, 12, 52 + dx, 36, shade(col, 1 - 0.1 * n), radius=3)
        c.rect(47 + dx, 36, 49 + dx, 64, STEEL)


def _tin(c, col, rng):
    c.rect(30, 22, 70, 64, STEEL, radius=2)
    c.ellipse(30, 16, 70, 28, shade(STEEL, 1.3))
    c.rect(30, 32, 70, 54, col)
    c.arc(30, 6, 70, 40, 200, 340, DARK, 1)
    c.poly([(40, 28), (52, 28), (50, 36), (42, 36)], col)


def _drill(c, col, rng):
    c.rect(24, 20, 70, 36, col, radius=6)
    c.rect(70, 25, 84, 31, STEEL, radius=1)
    c.poly([(38, 36), (52, 36), (48, 62), (34, 62)], shade(col, 0.8))
    c.rect(30, 58, 54, 66, DARK, radius=2)


def _beans(c, col, rng):
    c.poly([(32, 16), (68, 16), (72, 66), (28, 66)], (230, 215, 185))
    c.rect(32, 16, 68, 22, (200, 185, 150))
    for n in range(9):
        x, y = 38 + (n % 3) * 12, 32 + (n // 3) * 10
        c.ellipse(x - 5, y - 4, x + 5, y + 4, shade(col, rng.uniform(0.85, 1.1)))
        c.line([(x - 3, y), (x + 3, y)], shade(col, 0.6), 0.6)


def _cup(c, col, rng):
    c.ellipse(24, 54, 76, 66, (240, 240, 240))
    c.rect(32, 28, 64, 58, WHITE, radius=6)
    c.ellipse(32, 24, 64, 32, shade(col, 0.8))
    c.arc(58, 34, 74, 50, 270, 450, WHITE, 3)
    for x in (42, 52):
        c.arc(x - 3, 8, x + 3, 20, 90, 270, (200, 200, 200), 1)


def _blocks(c, col, rng):
    colours = [col, (70, 140, 200), (240, 200, 60), (110, 170, 80)]
    for n, (x, y) in enumerate(((28, 44), (50, 44), (72, 44), (39, 26), (61, 26), (50, 8))):
        c.rect(x - 10, y, x + 10, y + 18, colours[n % 4], radius=1.5)


def _board(c, col, rng):
    c.rect(20, 12, 80, 64, col, radius=2)
    for i in range(6):
        for j in range(5):
            if (i + j) % 2:
                c.rect(24 + i * 9, 16 + j * 9, 33 + i * 9, 25 + j * 9, shade(col, 1.35))
    c.ellipse(38, 26, 46, 34, (220, 60, 60))
    c.ellipse(56, 44, 64, 52, (250, 220, 80))


def _puzzle(c, col, rng):
    for i in range(3):
        for j in range(2):
            x, y = 24 + i * 18, 20 + j * 18
            tone = shade(col, 0.85 + 0.12 * ((i + j) % 2))
            c.rect(x, y, x + 17, y + 17, tone)
            c.ellipse(x + 14, y + 5, x + 21, y + 12, tone)
            c.ellipse(x + 5, y + 14, x + 12, y + 21, tone)


def _bear(c, col, rng):
    for x in (34, 66):
        c.ellipse(x - 8, 10, x + 8, 26, col)
        c.ellipse(x - 4, 14, x + 4, 22, shade(col, 1.3))
    c.ellipse(28, 14, 72, 56, col)
    c.ellipse(40, 34, 60, 50, shade(col, 1.3))
    for x in (41, 59):
        c.ellipse(x - 2, 26, x + 2, 30, DARK)
    c.ellipse(47, 36, 53, 41, DARK)


def _bowl(c, col, rng):
    for _ in range(30):
        x, y = rng.uniform(30, 70), rng.uniform(26, 34)
        c.ellipse(x - 2, y - 2, x + 2, y + 2, shade(col, rng.uniform(0.8, 1.05)))
    c.ellipse(22, 28, 78, 40, shade(col, 0.9))
    c.poly([(22, 34), (78, 34), (66, 60), (34, 60)], (150, 110, 80))
    c.ellipse(22, 28, 78, 40, col)


DRAWERS = {
    "loaf": _loaf,
    "rolls": _rolls,
    "croissant": _croissant,
    "cake": _cake,
    "pretzel": _pretzel,
    "baguette": _baguette,
    "cookies": _cookies,
    "fruit": _fruit,
    "pear": _pear,
    "carrot": _carrot,
    "salad": _salad,
    "bottle": _bottle,
    "carton": _carton,
    "jar": _jar,
    "eggs": _eggs,
    "packet": _packet,
    "sausages": _sausages,
    "meat": _meat,
    "drumstick": _drumstick,
    "cheese": _cheese,
    "block": _block,
    "round": _round,
    "wheel": _wheel,
    "bike": _bike,
    "chain": _chain,
    "bulb": _bulb,
    "lock": _lock,
    "bag": _bag,
    "helmet": _helmet,
    "wrench": _wrench,
    "book": _book,
    "shirt": _shirt,
    "trousers": _trousers,
    "dress": _dress,
    "sock": _sock,
    "flowers": _flowers,
    "plant": _plant,
    "screws": _screws,
    "hammer": _hammer,
    "screwdriver": _screwdriver,
    "tin": _tin,
    "drill": _drill,
    "beans": _beans,
    "cup": _cup,
    "blocks": _blocks,
    "board": _board,
    "puzzle": _puzzle,
    "bear": _bear,
    "bowl": _bowl,
}


def picture_jpeg(base: str, category_path: str) -> bytes:
    """The picture of `base` (a catalogue base name) as JPEG bytes; the same every time."""
    motif, colour = MOTIFS.get(base, ("packet", (170, 170, 170)))
    background = BACKGROUNDS.get(category_path.split("/")[0], (238, 238, 238))
    size = (WIDTH * SCALE, HEIGHT * SCALE)
    image = Image.new("RGB", size, background)
    canvas = Canvas(image)
    # A soft floor shadow under the thing.
    canvas.ellipse(18, 60, 82, 70, shade(background, 0.9))
    rng = random.Random(base)
    DRAWERS[motif](canvas, colour, rng)
    image = image.reduce(SCALE)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
