"""The main pages of every role, by name, for the page-by-page browser checks (axe-core,
phone widths). Paths that need an id are looked up in the seeded demo town."""

from django.urls import reverse

CUSTOMER = "customer@lindenfeld.example"
BAKER = "baker@lindenfeld.example"
COURIER = "courier@lindenfeld.example"
DISPATCHER = "dispatcher@lindenfeld.example"
MEMBER = "member@lindenfeld.example"


def _bakery():
    from shops.models import Shop

    return Shop.objects.get(slug="lindenfeld-sourdough-bakery")


def _product():
    from shops.models import Product

    return Product.objects.filter(shop=_bakery(), is_active=True).order_by("pk").first()


def _campaign():
    from loyalty.models import Campaign

    return Campaign.objects.order_by("pk").first()


def _proposal():
    from governance.models import Proposal

    return Proposal.objects.order_by("-pk").first()


def _list():
    from shops.models import ShoppingList

    return ShoppingList.objects.filter(owner__email=CUSTOMER).order_by("pk").first()


def _dashboard(name, **kwargs):
    return lambda: reverse(name, kwargs={"shop_id": _bakery().pk, **kwargs})


def _loyalty(name):
    return lambda: reverse(name, args=[_bakery().pk])


# (who, page name, path or a function returning the path)
PAGES = [
    (None, "home", "/"),
    (None, "shops", "/shops/"),
    (None, "shop", lambda: _bakery().get_absolute_url()),
    (None, "search", "/search/?q=bread"),
    (None, "product", lambda: _product().get_absolute_url()),
    (None, "cart", "/cart/"),
    (None, "presales", "/presales/"),
    (None, "campaign", lambda: reverse("loyalty:campaign_detail", args=[_campaign().pk])),
    (None, "cooperative", "/cooperative/"),
    (None, "transparency", "/cooperative/transparency/"),
    (None, "calendar", "/cooperative/events/"),
    (None, "log in", "/accounts/login/"),
    (None, "sign up", "/accounts/signup/"),
    (CUSTOMER, "home", "/"),
    (CUSTOMER, "my orders", "/orders/"),
    (CUSTOMER, "my points", "/wallet/"),
    (CUSTOMER, "supporter card", "/wallet/card/"),
    (CUSTOMER, "point offers", "/wallet/offers/"),
    (CUSTOMER, "my pledges", "/presales/mine/"),
    (CUSTOMER, "account", "/accounts/profile/"),
    (CUSTOMER, "shopping lists", "/list/"),
    (
        CUSTOMER,
        "shopping list",
        lambda: reverse("shopping_list:detail", args=[_list().pk]),
    ),
    (BAKER, "dashboard", _dashboard("dashboard:home")),
    (BAKER, "orders", lambda: reverse("orders:shop_orders", kwargs={"shop_id": _bakery().pk})),
    (BAKER, "products", _dashboard("dashboard:products")),
    (BAKER, "product form", _dashboard("dashboard:product_new")),
    (BAKER, "import", _dashboard("dashboard:import_start")),
    (BAKER, "reports", _dashboard("dashboard:reports")),
    (BAKER, "wanted", _dashboard("dashboard:demand")),
    (BAKER, "team", _dashboard("dashboard:team")),
    (BAKER, "settings", _dashboard("dashboard:settings")),
    (BAKER, "till and API", _dashboard("dashboard:api_tokens")),
    (BAKER, "counter", _loyalty("loyalty:counter")),
    (BAKER, "offers", _loyalty("loyalty:shop_offers")),
    (BAKER, "settlement", _loyalty("loyalty:shop_settlement")),
    (BAKER, "presales", _loyalty("loyalty:shop_campaigns")),
    (BAKER, "news", _dashboard("governance:shop_news")),
    (COURIER, "deliveries", "/couriers/"),
    (COURIER, "jobs", "/couriers/jobs/"),
    (COURIER, "route", "/couriers/route/"),
    (COURIER, "earnings", "/couriers/earnings/"),
    (DISPATCHER, "board", "/couriers/board/lindenfeld-cargo-riders/"),
    (MEMBER, "cooperative", "/cooperative/"),
    (MEMBER, "proposals", "/cooperative/proposals/"),
    (MEMBER, "proposal", lambda: reverse("governance:proposal_detail", args=[_proposal().pk])),
    # In the default configuration members are shops, so the noticeboard is the baker's.
    (BAKER, "noticeboard", "/cooperative/noticeboard/"),
    (MEMBER, "transparency", "/cooperative/transparency/"),
]

ROLE_NAMES = {
    None: "visitor",
    CUSTOMER: "customer",
    BAKER: "shop owner",
    COURIER: "courier",
    DISPATCHER: "dispatcher",
    MEMBER: "member",
}


def page_id(entry) -> str:
    who, name, _ = entry
    return f"{ROLE_NAMES[who]}: {name}"


def path_of(entry) -> str:
    path = entry[2]
    return path() if callable(path) else path
