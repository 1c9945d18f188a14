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


def catalogue_shows(*models) -> None:
    """Connect `models` whose rows a catalogue page shows (a shop's page shows its news,
    events and presales too): saving or deleting one drops the kept pages."""
    from django.db.models.signals import post_delete, post_save

    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(
                catalogue_row_changed,
                sender=model,
                dispatch_uid=f"catalogue-{signal is post_save}-{model._meta.label}",
            )
