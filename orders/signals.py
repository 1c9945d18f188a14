from . import services
from .models import Cart
from .selectors import SESSION_CART


def merge_visitor_cart(sender, request, user, **kwargs):
    """What a visitor put in the cart before logging in joins the account's cart."""
    if request is None or not hasattr(request, "session"):
        return
    cart_id = request.session.pop(SESSION_CART, None)
    visitor = Cart.objects.filter(pk=cart_id, user=None).first() if cart_id else None
    if visitor is not None:
        services.cart_merge(source=visitor, target=services.cart_get_or_create(user=user))
