"""Items from two shops, one picked up and one delivered, paid at pickup: both shops see
their order and the customer follows both timelines."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from shops.models import Product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "commonplace-demo"


def log_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def add_to_cart(page, base, product):
    page.goto(f"{base}{product.get_absolute_url()}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("is in your cart")).to_be_visible()


def test_two_shops_one_pickup_one_delivery_paid_at_pickup(page, demo_town):
    base = demo_town.url
    in_stock = Product.objects.filter(stock_quantity__gte=2, unit="piece")
    bread = in_stock.filter(shop__slug="lindenfeld-sourdough-bakery").order_by("pk").first()
    groceries = in_stock.filter(shop__slug="green-basket-organic-grocer").order_by("pk").first()

    log_in(page, base, "customer@lindenfeld.example")
    add_to_cart(page, base, bread)
    add_to_cart(page, base, groceries)
    page.get_by_role("link", name=re.compile("^Cart")).click()
    page.get_by_role("link", name="Go to checkout").click()

    bakery = page.get_by_role("group", name="Lindenfeld Sourdough Bakery")
    bakery.get_by_label("Pick up at the shop").check()
    bakery.get_by_label("Pickup time").select_option(index=1)
    grocer = page.get_by_role("group", name="Green Basket Organic Grocer")
    grocer.get_by_label("Delivery by bike").check()
    # The earliest delivery window is chosen for the customer; they keep it.
    window = page.get_by_label("Delivery time")
    expect(window).to_be_visible()
    chosen = window.locator("option:checked").inner_text()
    assert re.match(r"^(Today|Tomorrow|\w{3} \d{1,2} \w{3}) \d\d:\d\d–\d\d:\d\d$", chosen)
    hours = re.search(r"\d\d:\d\d–\d\d:\d\d", chosen).group()
    page.get_by_label("Your name").fill("Chris Customer")
    page.get_by_label("Street and number").fill("Market Street 20")
    page.get_by_label("Postcode").fill("10117")
    page.get_by_label("City").fill("Lindenfeld")
    page.get_by_label("Pay at pickup or on delivery").check()
    page.get_by_role("button", name="Place order").click()
    # The address was placed on the map: confirm the pin, then place the order.
    expect(page.get_by_text("Check the pin on the map")).to_be_visible()
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_role("heading", name=re.compile("Your purchase"))).to_be_visible()
    # The demo town has eight weeks of neighbours' orders: this customer's are the new ones.
    mine = Order.objects.filter(purchase__customer__email="customer@lindenfeld.example")
    orders = list(mine.select_related("shop").order_by("shop__name"))
    assert [(o.shop.name, o.fulfilment) for o in orders] == [
        ("Green Basket Organic Grocer", "delivery"),
        ("Lindenfeld Sourdough Bakery", "pickup"),
    ]
    expect(page.locator(".timeline")).to_have_count(2)
    grocer_card = page.locator(".order-card", has_text="Green Basket Organic Grocer")
    expect(grocer_card.get_by_text(hours)).to_be_visible()
    expect(page.locator(".pickup-code")).to_have_text(orders[1].pickup_code)

    # Each shop sees its own order and moves it on: the baker from the order's page, the
    # grocer right in the list, which updates the row in place.
    page.context.clear_cookies()
    log_in(page, base, "baker@lindenfeld.example")
    page.goto(f"{base}/shop-orders/{orders[1].shop_id}/")
    page.get_by_role("link", name=orders[1].number).click()
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text(f"Order {orders[1].number}: Accepted.")).to_be_visible()

    page.context.clear_cookies()
    log_in(page, base, "grocer@lindenfeld.example")
    list_url = f"{base}/shop-orders/{orders[0].shop_id}/"
    page.goto(list_url)
    expect(page.get_by_text("1 new order waits for you")).to_be_visible()
    row = page.locator(f"#order-{orders[0].pk}")
    row.get_by_role("button", name="Accept").click()
    expect(page.locator(f"#order-{orders[0].pk}")).to_contain_text("Accepted")
    expect(
        page.locator(f"#order-{orders[0].pk}").get_by_role("button", name="Mark ready")
    ).to_be_visible()
    assert page.url == list_url

    page.context.clear_cookies()
    log_in(page, base, "customer@lindenfeld.example")
    page.goto(f"{base}{orders[0].purchase.get_absolute_url()}")
    for timeline in page.locator(".timeline").all():
        expect(timeline).to_contain_text("Placed")
        expect(timeline).to_contain_text("Accepted")


def test_two_shops_delivering_together_are_offered_only_windows_both_can_make(page, demo_town):
    from logistics.models import DeliveryWindow
    from shops.models import Shop

    base = demo_town.url
    # The grocer needs four hours to pack an order: its first windows come later.
    Shop.objects.filter(slug="green-basket-organic-grocer").update(pickup_lead_minutes=240)
    in_stock = Product.objects.filter(stock_quantity__gte=2, unit="piece")
    bread = in_stock.filter(shop__slug="lindenfeld-sourdough-bakery").order_by("pk").first()
    groceries = in_stock.filter(shop__slug="green-basket-organic-grocer").order_by("pk").first()

    log_in(page, base, "customer@lindenfeld.example")
    add_to_cart(page, base, bread)
    add_to_cart(page, base, groceries)
    page.goto(f"{base}/checkout/")
    window = page.get_by_label("Delivery time")
    expect(window).to_be_hidden()  # nothing is delivered yet

    page.get_by_role("group", name="Lindenfeld Sourdough Bakery").get_by_label(
        "Delivery by bike"
    ).check()
    expect(window).to_be_visible()
    bakery_first = window.locator("option:checked").inner_text()

    page.get_by_role("group", name="Green Basket Organic Grocer").get_by_label(
        "Delivery by bike"
    ).check()
    together = window.locator("option:checked").inner_text()
    # One ride for both: the earliest window the grocer can make too, not the bakery's.
    assert together != bakery_first
    expect(window.locator("option", has_text=bakery_first)).to_be_disabled()

    page.get_by_label("Your name").fill("Chris Customer")
    page.get_by_label("Street and number").fill("Market Street 20")
    page.get_by_label("Postcode").fill("10117")
    page.get_by_label("City").fill("Lindenfeld")
    page.get_by_label("Pay at pickup or on delivery").check()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Check the pin on the map")).to_be_visible()
    expect(window.locator("option:checked")).to_have_text(together)
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_role("heading", name=re.compile("Your purchase"))).to_be_visible()
    hours = re.search(r"\d\d:\d\d–\d\d:\d\d", together).group()
    for shop in ("Lindenfeld Sourdough Bakery", "Green Basket Organic Grocer"):
        card = page.locator(".order-card", has_text=shop)
        expect(card.get_by_text(hours)).to_be_visible()
    # One ride, one place in the window.
    assert list(DeliveryWindow.objects.values_list("taken", flat=True)) == [1]
