from django import template
from django.conf import settings

from ..presales import selectors as presale_selectors

register = template.Library()


@register.simple_tag
def presale_counter(user, shop) -> dict:
    """What the counter shows of a supporter's presales at this shop (the partial
    loyalty/presales/_counter.html is included with only the card's user and the shop)."""
    return {
        "holdings": presale_selectors.presale_holdings_at_shop(user=user, shop=shop),
        "awaiting": list(presale_selectors.pledges_awaiting_at_shop(user=user, shop=shop)),
        "refunds": list(presale_selectors.refunds_to_hand_back(user=user, shop=shop)),
        "currency": settings.DEFAULT_CURRENCY,
    }


@register.simple_tag
def presale_holdings_of(user) -> list:
    """The wallet's presale section: value left per campaign (first ten)."""
    if not user.is_authenticated:
        return []
    return list(presale_selectors.presale_holdings(user=user)[:10])


@register.inclusion_tag("loyalty/presales/_shop_campaigns.html")
def shop_presales(shop) -> dict:
    """A shop's page: the campaigns supporters can back or redeem now (one query)."""
    return {"campaigns": list(presale_selectors.campaigns_on_shop_page(shop=shop))}
