"""Signal receivers of the shops app."""

from .services.shopping_list import shopping_lists_claim
from .shopping_list_selectors import SESSION_KEY


def claim_visitor_shopping_lists(sender, request, user, **kwargs):
    """Lists written before logging in join the account."""
    if request is None or not hasattr(request, "session"):
        return
    key = request.session.pop(SESSION_KEY, "")
    if key:
        shopping_lists_claim(visitor_key=key, user=user)


def forget_synonyms(sender, **kwargs):
    """A synonym saved or deleted (in the admin) counts from the next search on."""
    from django.core.cache import cache

    from .list_matching import SYNONYMS_CACHE_KEY

    cache.delete(SYNONYMS_CACHE_KEY)
