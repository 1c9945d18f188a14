from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("governance/includes/shop_community.html")
def shop_news_and_events(shop):
    """A shop's latest news and coming events, for its public page (two queries)."""
    return {
        "shop": shop,
        "news": list(selectors.shop_news(shop=shop)[:3]),
        "events": list(selectors.shop_events_upcoming(shop=shop)[:5]),
    }
