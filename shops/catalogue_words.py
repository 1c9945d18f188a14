"""The words of the catalogue, for search that forgives typing mistakes on any database.

The vocabulary is every word of three letters or more in active products' titles, their
categories (and parent categories) and the node's synonyms, computed once and cached until
the catalogue changes (a cheap signature of counts and the last change is part of the key).
A typed word that is not part of any of those words is compared with them by difflib's
similarity ratio (the standard library's well-kept matcher: no dependency, and fast enough
for a town's few thousand words, a few milliseconds per word).

Two levels of closeness, as search engines do: a confident correction ("sourdogh" →
"sourdough") that the search applies by itself, and a looser one ("surdoh") that it only
offers as "Did you mean …?". Either counts as a close match, so a typo never becomes a
demand signal on the shops' "Wanted" page."""

import difflib
import hashlib
import re
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Max

from .models import Category, Product, Shop, Synonym

# Letters only: numbers and sizes are not corrected.
WORD = re.compile(r"[^\W\d_]{3,}")
# Words shorter than this are left as typed: too many short words look alike.
SHORTEST_CORRECTED = 4
# Up to this length, only one letter inserted or left out counts as close ("hony").
SHORT_WORD = 5
CONFIDENT = 0.85
CLOSE = 0.75
CACHE_SECONDS = 3600


@dataclass(frozen=True)
class Correction:
    text: str
    # Every changed word is very close to a catalogue word: apply it without asking.
    confident: bool


def _signature() -> str:
    products = Product.objects.aggregate(n=Count("pk"), last=Max("updated_at"), top=Max("pk"))
    synonyms = Synonym.objects.aggregate(n=Count("pk"), top=Max("pk"))
    categories = Category.objects.aggregate(n=Count("pk"), top=Max("pk"))
    raw = repr((products, synonyms, categories))
    return hashlib.sha1(raw.encode()).hexdigest()


def _words_of(*texts) -> set[str]:
    words: set[str] = set()
    for text in texts:
        if text:
            words.update(WORD.findall(text.lower()))
    return words


def catalogue_words() -> tuple[str, ...]:
    """Every word customers might mean, sorted; cached until the catalogue changes."""
    key = f"catalogue-words-{_signature()}"
    words = cache.get(key)
    if words is None:
        found: set[str] = set()
        rows = Product.objects.filter(is_active=True, shop__status=Shop.Status.ACTIVE)
        rows = rows.values_list("title", "category__name", "category__parent__name")
        for row in rows.iterator(chunk_size=2000):
            found |= _words_of(*row)
        for term, alternatives in Synonym.objects.values_list("term", "alternatives"):
            found |= _words_of(term, alternatives)
        words = tuple(sorted(found))
        cache.set(key, words, CACHE_SECONDS)
    return words


def _closest(word: str, words: tuple[str, ...]) -> tuple[str, float] | None:
    cutoff = CONFIDENT if len(word) <= SHORT_WORD else CLOSE
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(word)
    best, best_ratio = None, cutoff
    for candidate in words:
        if abs(len(candidate) - len(word)) > 3:
            continue
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
            continue
        ratio = matcher.ratio()
        # Ties go to the alphabetically first word, so the answer never varies.
        if ratio > best_ratio or (ratio == best_ratio and best is None):
            best, best_ratio = candidate, ratio
    return (best, best_ratio) if best is not None else None


def spelling_correction(text: str) -> Correction | None:
    """`text` with each word unknown to the catalogue replaced by the closest catalogue
    word, or None when no word needs (or finds) a correction."""
    words = catalogue_words()
    if not words:
        return None
    known = "\n" + "\n".join(words) + "\n"
    changed, confident, corrected = False, True, []
    for token in text.split():
        word = token.lower().strip(".,;:!?\"'()")
        if len(word) < SHORTEST_CORRECTED or not word.isalpha() or word in known:
            corrected.append(token)
            continue
        closest = _closest(word, words)
        if closest is None:
            corrected.append(token)
            continue
        corrected.append(closest[0])
        changed = True
        confident = confident and closest[1] >= CONFIDENT
    if not changed:
        return None
    return Correction(" ".join(corrected), confident)
