"""Signal receivers of the shops app."""


def forget_synonyms(sender, **kwargs):
    """A synonym saved or deleted (in the admin) counts from the next search on."""
    from django.core.cache import cache

    from .lists.matching import SYNONYMS_CACHE_KEY

    cache.delete(SYNONYMS_CACHE_KEY)
