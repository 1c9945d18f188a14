"""The words of the catalogue, for search that forgives typing mistakes on any database.

The words are every word of three letters or more in active products' titles and their
categories (and parent categories), and the node's synonyms. On Postgres they are the
lexicon table (shops.SearchWord), kept current by triggers on every write; its trigram index
gives the few catalogue words nearest a typed word in one indexed query, whatever the size
of the catalogue. On SQLite (the embedded fallback) the same words are computed in Python
and cached until the catalogue changes (a cheap signature of counts and the last change is
part of the key).

Either way the last step is the same: difflib's similarity ratio (the standard library's
well-kept matcher) picks among the candidates, with two levels of closeness, as search
engines do: a confident correction ("sourdogh" → "sourdough") that the search applies by
itself, and a looser one ("surdoh") that it only offers as "Did you mean …?". Either counts
as a close match, so a typo never becomes a demand signal on the shops' "Wanted" page."""

import difflib
import hashlib
import re
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
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
    """Every word customers might mean, sorted; cached until the catalogue changes. Used on
    SQLite; Postgres reads the lexicon table instead."""
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


def _closest(word: str, words) -> tuple[str, float] | None:
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


# Candidates asked of the lexicon per typed word: the nearest by trigrams, of which difflib
# picks the closest.
NEAREST = 20

# For each typed word: whether it is (part of) a catalogue word, and if not, the catalogue
# words nearest to it by trigram distance (GiST index on shops_searchword.word).
_LEXICON_LOOKUP = """
SELECT q.word,
       EXISTS (
           SELECT 1 FROM shops_searchword s
           WHERE s.word LIKE '%%' || q.word || '%%' AND s.products > 0
       ) AS known,
       ARRAY(
           SELECT s.word FROM shops_searchword s
           WHERE s.products > 0
           ORDER BY s.word <-> q.word
           LIMIT %s
       ) AS nearest
FROM unnest(%s::text[]) AS q(word)
"""


def _synonym_words() -> set[str]:
    from .lists.matching import synonym_table

    # The patterns are escaped terms between look-arounds: their letters are the term's words.
    words: set[str] = set()
    for pattern, names in synonym_table():
        words |= _words_of(pattern.pattern, *names)
    return words


def _candidates(words: list[str]) -> dict[str, tuple[str, ...] | None]:
    """For each typed word, None when the catalogue knows it (or a word it is part of),
    else the catalogue words that might be meant."""
    synonyms = _synonym_words()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LEXICON_LOOKUP, [NEAREST, words])
            rows = {word: (known, tuple(nearest)) for word, known, nearest in cursor.fetchall()}
        found = {}
        for word in words:
            known, nearest = rows[word]
            if known or any(word in synonym for synonym in synonyms):
                found[word] = None
            else:
                found[word] = tuple(sorted(set(nearest) | synonyms))
        return found
    vocabulary = catalogue_words()
    known = "\n" + "\n".join(vocabulary) + "\n"
    return {word: None if word in known else vocabulary for word in words}


def spelling_correction(text: str) -> Correction | None:
    """`text` with each word unknown to the catalogue replaced by the closest catalogue
    word, or None when no word needs (or finds) a correction. One query on Postgres."""
    tokens = text.split()
    words = {token: token.lower().strip(".,;:!?\"'()") for token in tokens}
    to_check = sorted({w for w in words.values() if len(w) >= SHORTEST_CORRECTED and w.isalpha()})
    if not to_check:
        return None
    candidates = _candidates(to_check)
    changed, confident, corrected = False, True, []
    for token in tokens:
        word = words[token]
        choices = candidates.get(word)
        closest = _closest(word, choices) if choices else None
        if closest is None:
            corrected.append(token)
            continue
        corrected.append(closest[0])
        changed = True
        confident = confident and closest[1] >= CONFIDENT
    if not changed:
        return None
    return Correction(" ".join(corrected), confident)
