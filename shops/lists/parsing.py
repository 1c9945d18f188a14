"""Reading shopping-list lines as people write them: "2 kg potatoes", "500g coffee",
"3 x oat milk", "inner tube 28 inch". Pure functions: no database, no request.

A line becomes the words to look for and, when one was written, an amount: a count
(pieces, packs), a mass (kept in kg) or a volume (kept in litres). Sizes such as "28 inch"
are part of what is looked for, not an amount."""

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation

MAX_LINES = 100
MAX_LINE_LENGTH = 200


class Measure:
    COUNT = "piece"
    PACK = "pack"  # "2 packs of cookies": that many of whatever the shop sells
    MASS = "kg"
    VOLUME = "litre"


# Written unit → (measure, factor to kg, litres or pieces).
UNITS = {
    "g": (Measure.MASS, Decimal("0.001")),
    "gr": (Measure.MASS, Decimal("0.001")),
    "gram": (Measure.MASS, Decimal("0.001")),
    "grams": (Measure.MASS, Decimal("0.001")),
    "kg": (Measure.MASS, Decimal("1")),
    "kilo": (Measure.MASS, Decimal("1")),
    "kilos": (Measure.MASS, Decimal("1")),
    "kilogram": (Measure.MASS, Decimal("1")),
    "kilograms": (Measure.MASS, Decimal("1")),
    "lb": (Measure.MASS, Decimal("0.4536")),
    "lbs": (Measure.MASS, Decimal("0.4536")),
    "ml": (Measure.VOLUME, Decimal("0.001")),
    "cl": (Measure.VOLUME, Decimal("0.01")),
    "l": (Measure.VOLUME, Decimal("1")),
    "litre": (Measure.VOLUME, Decimal("1")),
    "litres": (Measure.VOLUME, Decimal("1")),
    "liter": (Measure.VOLUME, Decimal("1")),
    "liters": (Measure.VOLUME, Decimal("1")),
    "x": (Measure.COUNT, Decimal("1")),
    "×": (Measure.COUNT, Decimal("1")),
    "pc": (Measure.COUNT, Decimal("1")),
    "pcs": (Measure.COUNT, Decimal("1")),
    "piece": (Measure.COUNT, Decimal("1")),
    "pieces": (Measure.COUNT, Decimal("1")),
    "pack": (Measure.PACK, Decimal("1")),
    "packs": (Measure.PACK, Decimal("1")),
    "packet": (Measure.PACK, Decimal("1")),
    "packets": (Measure.PACK, Decimal("1")),
    "bag": (Measure.PACK, Decimal("1")),
    "bags": (Measure.PACK, Decimal("1")),
    "box": (Measure.PACK, Decimal("1")),
    "boxes": (Measure.PACK, Decimal("1")),
    "bottle": (Measure.PACK, Decimal("1")),
    "bottles": (Measure.PACK, Decimal("1")),
    "jar": (Measure.PACK, Decimal("1")),
    "jars": (Measure.PACK, Decimal("1")),
    "tin": (Measure.PACK, Decimal("1")),
    "tins": (Measure.PACK, Decimal("1")),
    "can": (Measure.PACK, Decimal("1")),
    "cans": (Measure.PACK, Decimal("1")),
    "carton": (Measure.PACK, Decimal("1")),
    "cartons": (Measure.PACK, Decimal("1")),
    "loaf": (Measure.PACK, Decimal("1")),
    "loaves": (Measure.PACK, Decimal("1")),
}
# Words after a number that make it a size to look for ("28 inch"), never an amount.
SIZE_WORDS = {"inch", "inches", "in", '"', "cm", "mm", "m", "speed", "w", "v", "%"}
# "a" and "an" are one; "a dozen" is twelve. Leading "some" and "of" say nothing.
NUMBER_WORDS = {
    "a": Decimal("1"),
    "an": Decimal("1"),
    "one": Decimal("1"),
    "two": Decimal("2"),
    "three": Decimal("3"),
    "four": Decimal("4"),
    "five": Decimal("5"),
    "six": Decimal("6"),
    "dozen": Decimal("12"),
    "half": Decimal("0.5"),
}
FILLER = {"some", "of", "more"}
FRACTIONS = {"½": "0.5", "¼": "0.25", "¾": "0.75"}
MAX_AMOUNT = Decimal("999")

_NUMBER = r"\d+(?:[.,]\d+)?"
# "2kg", "500g", "3x", "1,5l": a number glued to a unit.
_GLUED = re.compile(rf"^({_NUMBER})([^\d\s.,]+)$")
# "x3", "×2": a count written after the unit sign.
_TIMES_BEFORE = re.compile(rf"^[x×]({_NUMBER})$")
_IS_NUMBER = re.compile(rf"^{_NUMBER}$")
# A size in a product title: "250 g", "1 kg", "2.5 litres", "500 ml".
_TITLE_SIZE = re.compile(rf"(?<![\w.,])({_NUMBER})\s?(kg|g|ml|cl|l|litres?|liters?)\b", re.I)
# "eggs, 10": a count after a comma.
_COMMA_COUNT = re.compile(rf"^(.*?[^\d\s].*?)\s*[,;:]\s*({_NUMBER})$")
_PACK_OF = re.compile(r"\b(?:pack|box|bag|set)\s+of\s+(\d+)\b", re.I)


@dataclass(frozen=True)
class Amount:
    value: Decimal
    measure: str  # Measure.COUNT, MASS (kg) or VOLUME (litres)


@dataclass(frozen=True)
class ParsedLine:
    text: str  # as written, cleaned
    query: str  # the words to look for
    amount: Amount | None = None

    @property
    def readable(self) -> bool:
        return bool(self.query)


def clean_text(raw: str) -> str:
    """Control characters out, white space folded, fractions spelled as decimals."""
    text = raw or ""
    for glyph, decimal in FRACTIONS.items():
        text = text.replace(glyph, f" {decimal} ")
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return " ".join(text.split())


def _number(token: str) -> Decimal | None:
    try:
        value = Decimal(token.replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None


def _unit(token: str):
    return UNITS.get(token.lower().rstrip(".:"))


def _take_amount(tokens: list[str]) -> tuple[Amount | None, list[str]]:
    """An amount at the start of the tokens, and the tokens left after it."""
    if not tokens:
        return None, tokens
    first = tokens[0].lower()
    glued = _GLUED.match(first)
    if glued and _unit(glued.group(2)):
        measure, factor = _unit(glued.group(2))
        value = _number(glued.group(1))
        if value is not None:
            return Amount(value * factor, measure), tokens[1:]
    times = _TIMES_BEFORE.match(first)
    if times and _number(times.group(1)) is not None:
        return Amount(_number(times.group(1)), Measure.COUNT), tokens[1:]
    if _IS_NUMBER.match(first) or first in NUMBER_WORDS:
        value = _number(first) if _IS_NUMBER.match(first) else NUMBER_WORDS[first]
        rest = tokens[1:]
        if value is None:
            return None, tokens
        if rest and rest[0].lower() in SIZE_WORDS:
            return None, tokens  # "28 inch inner tube": a size, not an amount
        if rest and rest[0].lower() == "dozen":
            value, rest = value * 12, rest[1:]
        if rest and _unit(rest[0]):
            measure, factor = _unit(rest[0])
            rest = rest[1:]
            if rest and rest[0].lower() == "of":
                rest = rest[1:]
            return Amount(value * factor, measure), rest
        if first in ("a", "an") and not rest:
            return None, tokens
        return Amount(value, Measure.COUNT), rest
    return None, tokens


def _take_trailing_amount(tokens: list[str]) -> tuple[Amount | None, list[str]]:
    """An amount at the end: "potatoes 2 kg", "potatoes 2kg", "oat milk x3", "eggs, 10"."""
    if len(tokens) < 2:
        return None, tokens
    last = tokens[-1].lower()
    glued = _GLUED.match(last)
    if glued and _unit(glued.group(2)) and _number(glued.group(1)) is not None:
        measure, factor = _unit(glued.group(2))
        return Amount(_number(glued.group(1)) * factor, measure), tokens[:-1]
    times = _TIMES_BEFORE.match(last)
    if times and _number(times.group(1)) is not None:
        return Amount(_number(times.group(1)), Measure.COUNT), tokens[:-1]
    if len(tokens) >= 3 and _IS_NUMBER.match(tokens[-2]) and _unit(last):
        measure, factor = _unit(last)
        value = _number(tokens[-2])
        if value is not None:
            return Amount(value * factor, measure), tokens[:-2]
    return None, tokens


def parse_line(raw: str) -> ParsedLine:
    text = clean_text(raw)[:MAX_LINE_LENGTH]
    # Commas and semicolons separate an amount from the thing ("eggs, 10"); list bullets
    # and check boxes people paste in mean nothing.
    body = re.sub(r"^[\-*•·–—\[\]()\s]+", "", text)
    counted = _COMMA_COUNT.match(body)
    tokens = re.sub(r"(?<!\d)[,;:]|[,;:](?!\d)", " ", body).split()
    amount, rest = _take_amount(tokens)
    if amount is None:
        amount, rest = _take_trailing_amount(tokens)
    if amount is None and counted and _number(counted.group(2)) is not None:
        amount, rest = Amount(_number(counted.group(2)), Measure.COUNT), counted.group(1).split()
    rest = [t for t in rest if t.lower() not in FILLER] or rest
    query = " ".join(rest)
    # Something to look for has letters; a line of symbols or numbers only has not.
    if not any(ch.isalpha() for ch in query):
        query = ""
    if amount is not None and amount.value > MAX_AMOUNT:
        amount = Amount(MAX_AMOUNT, amount.measure)
    return ParsedLine(text=text, query=query.lower(), amount=amount)


def split_lines(text: str) -> list[str]:
    """The non-empty lines of a written list."""
    return [line for line in (clean_text(raw) for raw in (text or "").splitlines()) if line]


# Sizes in product titles, and how much of a product a line asks for -------------------------


def title_size(title: str) -> Amount | None:
    """The size a product's title states, e.g. "Coffee beans 250 g" → 0.25 kg."""
    found = _TITLE_SIZE.findall(title or "")
    if not found:
        return None
    number, unit = found[-1]
    measure, factor = _unit(unit)
    value = _number(number)
    return Amount(value * factor, measure) if value is not None else None


def title_pack(title: str) -> int | None:
    """How many a pack in the title holds ("box of 6" → 6)."""
    found = _PACK_OF.search(title or "")
    return int(found.group(1)) if found else None


def _round_up(value: Decimal, step: Decimal) -> Decimal:
    steps = (value / step).to_integral_value(rounding=ROUND_CEILING)
    return max(steps, Decimal("1")) * step


def quantity_to_buy(amount: Amount | None, *, unit: str, step: Decimal, title: str) -> Decimal:
    """How much of a product (sold by `unit` in steps of `step`) covers the amount a line
    asks for: 500 g of beans in 250 g bags is 2 bags; 2 kg of potatoes sold by the kg is 2;
    "3 x oat milk" sold by the litre is 3. Never below one step, always a whole step."""
    if amount is None:
        # Nothing said: one piece, or half a kilo or litre of what is weighed or measured.
        return _round_up(Decimal("0.5"), step) if unit in ("kg", "litre") else step
    if unit in ("kg", "litre"):
        if amount.measure in (Measure.COUNT, Measure.PACK):
            size = title_size(title)
            value = amount.value * (size.value if size else Decimal("1"))
        else:
            value = amount.value  # a kg of a liquid is about a litre, and the other way round
        return min(_round_up(value, step), MAX_AMOUNT)
    if unit == "hour":
        if amount.measure in (Measure.COUNT, Measure.PACK):
            return min(_round_up(amount.value, step), MAX_AMOUNT)
        return step
    # Sold by the piece: a count is that many; a mass or volume is that many packs of the
    # size in the title, or one when the title says no size.
    if amount.measure == Measure.PACK:
        return min(_round_up(amount.value, step), MAX_AMOUNT)
    if amount.measure == Measure.COUNT:
        # "a dozen eggs" in boxes of 6 is two boxes; in boxes of 10, two boxes too.
        pack = title_pack(title)
        if pack:
            return min(_round_up(Decimal(math.ceil(amount.value / pack)), step), MAX_AMOUNT)
        return min(_round_up(amount.value, step), MAX_AMOUNT)
    size = title_size(title)
    if size is None or size.measure == Measure.COUNT:
        return step
    return min(_round_up(Decimal(math.ceil(amount.value / size.value)), step), MAX_AMOUNT)


def unit_fit(amount: Amount | None, *, unit: str, title: str) -> float:
    """How well a product sold by `unit` suits the amount asked for, 0–1: a line asking for
    500 g is better served by coffee beans in 250 g bags than by a coffee machine repair."""
    if amount is None:
        return 1.0
    if unit == "hour":
        return 0.2
    if amount.measure in (Measure.COUNT, Measure.PACK):
        return 1.0 if unit == "piece" else 0.9
    wanted = Measure.MASS if amount.measure == Measure.MASS else Measure.VOLUME
    if unit in ("kg", "litre"):
        return 1.0 if unit == wanted else 0.7
    size = title_size(title)
    if size is None:
        return 0.5
    return 1.0 if size.measure == wanted else 0.7
