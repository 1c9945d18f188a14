from django.conf import settings


def node(request):
    """What every page needs to know about the node and the person's roles."""
    user = getattr(request, "user", None)
    roles = {}
    if user is not None and user.is_authenticated:
        from marketplace.selectors import user_roles

        roles = user_roles(user=user)
    return {
        "cart_count": _cart_count(request),
        "SITE_NAME": settings.SITE_NAME,
        "SITE_TAGLINE": settings.SITE_TAGLINE,
        # Not "roles": views such as the courier home pass their own "roles".
        "my_roles": roles,
    }


def _cart_count(request) -> int:
    """Lines in the cart, for the header; no query for visitors without a cart."""
    from orders.models import CartLine

    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return CartLine.objects.filter(cart__user=user).count()
    session = getattr(request, "session", None)
    cart_id = session.get("cart_id") if session is not None else None
    return CartLine.objects.filter(cart_id=cart_id, cart__user=None).count() if cart_id else 0
