"""Signal receivers of shopping lists."""

from .selectors import SESSION_KEY
from .services import shopping_lists_claim


def claim_visitor_shopping_lists(sender, request, user, **kwargs):
    """Lists written before logging in join the account."""
    if request is None or not hasattr(request, "session"):
        return
    key = request.session.pop(SESSION_KEY, "")
    if key:
        shopping_lists_claim(visitor_key=key, user=user)
