"""Signal receivers of the shops app."""


def forget_synonyms(sender, **kwargs):
    """A synonym saved or deleted (in the admin) counts from the next search on."""
    from django.core.cache import cache

    from .lists.matching import SYNONYMS_CACHE_KEY

    cache.delete(SYNONYMS_CACHE_KEY)


def catalogue_row_changed(sender, **kwargs):
    """A product, shop, photo, opening time, closure, category or label saved or deleted:
    the catalogue pages cached so far are out of date (shops.catalogue_cache)."""
    from .catalogue_cache import catalogue_changed

    catalogue_changed()
