"""Points as supporters and shops meet them: checkout, the counter, offers, settlement,
expiry and levels. Given / when / then, through the real services and pages."""

import datetime
import secrets

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money
from hypothesis import given
from hypothesis import strategies as st

from loyalty import services, tasks
from loyalty.models import (
    Account,
    Entry,
    LedgerTransaction,
    Level,
    Offer,
    OfferClaim,
    Settlement,
    SupporterCard,
)
from marketplace.tests.factories import UserFactory
from orders import services as order_services
from orders.exceptions import CheckoutError
from orders.models import Order
from orders.tests.factories import cart_with, open_shop, pickup_request
from shops.tests.factories import ProductFactory, ShopFactory, ShopMembershipFactory

pytestmark = pytest.mark.django_db


def give_points(user, points, shop=None, key=None):
    shop = shop or ShopFactory()
    return services.ledger_post(
        key=key or f"gift-{secrets.token_hex(4)}",
        kind="earn",
        legs=[
            (services.account_for_supporter(user), points),
            (services.account_for_shop(shop), -points),
        ],
        shop=shop,
    )


def balance(user) -> int:
    return services.account_for_supporter(user).balance


def staff_of(shop):
    user = UserFactory()
    ShopMembershipFactory(shop=shop, user=user, role="staff")
    return user


# Checkout ---------------------------------------------------------------------------------
def test_points_pay_part_of_each_order_and_come_back_when_the_shop_rejects():
    customer = UserFactory()
    give_points(customer, 1000)
    shop_a, shop_b = open_shop(), open_shop()
    cart = cart_with(
        [
            (ProductFactory(shop=shop_a, price=Money("10.00", "EUR")), "1"),
            (ProductFactory(shop=shop_b, price=Money("4.00", "EUR")), "1"),
        ],
        user=customer,
    )
    request = pickup_request([shop_a, shop_b], points=700)

    purchase = order_services.checkout_place(cart=cart, customer=customer, request=request)

    order_a, order_b = purchase.orders.order_by("shop_id")
    # At most 50 % of each shop's goods: 5.00 € at A, 2.00 € at B.
    assert (order_a.points_redeemed, order_b.points_redeemed) == (500, 200)
    assert order_a.total == Money("5.00", "EUR") and order_b.total == Money("2.00", "EUR")
    assert purchase.total == Money("7.00", "EUR")
    assert purchase.payments.get().amount == Money("7.00", "EUR")
    assert balance(customer) == 300

    order_services.order_transition(order=order_a, to_status="rejected", note="closed")

    assert balance(customer) == 800
    assert services.trial_balance()["balanced"]


def test_more_points_than_held_refuses_the_checkout_and_writes_nothing():
    customer = UserFactory()
    give_points(customer, 100)
    shop = open_shop()
    product = ProductFactory(shop=shop, price=Money("10.00", "EUR"), stock_quantity=3)
    cart = cart_with([(product, "1")], user=customer)

    with pytest.raises(CheckoutError) as refused:
        order_services.checkout_place(
            cart=cart, customer=customer, request=pickup_request([shop], points=300)
        )

    assert refused.value.field == "points"
    assert Order.objects.count() == 0
    assert balance(customer) == 100
    product.refresh_from_db()
    assert product.stock_quantity == 3


def test_points_beyond_the_cap_are_refused_with_how_many_would_do():
    customer = UserFactory()
    give_points(customer, 5000)
    shop = open_shop()
    cart = cart_with([(ProductFactory(shop=shop, price=Money("10.00", "EUR")), "1")], user=customer)

    with pytest.raises(CheckoutError) as refused:
        order_services.checkout_place(
            cart=cart, customer=customer, request=pickup_request([shop], points=900)
        )

    assert "500" in str(refused.value.message)
    assert balance(customer) == 5000 and not LedgerTransaction.objects.filter(kind="redeem")


def test_points_are_earned_on_what_was_paid_in_money_only():
    customer = UserFactory()
    give_points(customer, 500)
    shop = open_shop()
    cart = cart_with([(ProductFactory(shop=shop, price=Money("20.00", "EUR")), "1")], user=customer)
    purchase = order_services.checkout_place(
        cart=cart, customer=customer, request=pickup_request([shop], points=500)
    )
    order = purchase.orders.get()
    for status in ("accepted", "ready"):
        order_services.order_transition(order=order, to_status=status)

    order_services.order_collect_with_code(order=order, code=order.pickup_code, actor=None)

    earned = LedgerTransaction.objects.get(idempotency_key=f"earn-order-{order.pk}")
    assert earned.entries.get(account__user=customer).amount == 30  # 2 % of 15.00 €


# Levels -----------------------------------------------------------------------------------
def test_levels_follow_the_last_twelve_months_down_as_well_as_up():
    supporter = UserFactory()
    record = give_points(supporter, 2500)
    assert services.level_recalculate(user=supporter).name == "Regular"

    # A year later the same points no longer count towards the level.
    LedgerTransaction.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )
    tasks.recalculate_levels_task()

    assert SupporterCard.objects.get(user=supporter).level.name == "Friend"


def test_the_wallet_shows_level_progress_and_every_movement(client):
    supporter = UserFactory()
    give_points(supporter, 1500)
    client.force_login(supporter)

    page = client.get(reverse("loyalty:wallet"))

    assert page.context["balance"] == 1500
    assert page.context["level"] == Level.objects.get(name="Friend")
    assert page.context["to_next"] == 500 and page.context["progress_pct"] == 75
    assert [e.amount for e in page.context["page"]] == [1500]
    assert b"500 more points this year to reach Regular" in page.content


def test_wallet_queries_do_not_grow_with_movements(client, django_assert_max_num_queries):
    supporter = UserFactory()
    client.force_login(supporter)
    give_points(supporter, 10)
    client.get(reverse("loyalty:wallet"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("loyalty:wallet"))
    for _ in range(24):
        give_points(supporter, 10, shop=ShopFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("loyalty:wallet"))


# The card and the counter -----------------------------------------------------------------
def test_card_numbers_carry_a_check_digit():
    card = services.card_for(UserFactory())
    assert services.card_number_is_valid(card.number)
    wrong = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)
    assert not services.card_number_is_valid(wrong)
    assert services.card_by_number(f"{card.display_number}") == card
    assert services.card_by_number(f"https://town.example/card/{card.number}/") == card


def test_the_counter_gives_points_for_a_purchase_once_per_form(client):
    shop = ShopFactory()
    cashier = staff_of(shop)
    card = services.card_for(UserFactory())
    client.force_login(cashier)
    found = client.get(reverse("loyalty:counter", args=[shop.pk]), {"card": card.number})
    key = found.context["award_form"].initial["key"]
    form = {"card": card.number, "key": key, "amount": "25.00"}

    first = client.post(reverse("loyalty:counter_award", args=[shop.pk]), form)
    again = client.post(reverse("loyalty:counter_award", args=[shop.pk]), form)

    assert first.status_code == again.status_code == 302
    assert balance(card.user) == 50  # 2 % of 25 €
    assert LedgerTransaction.objects.filter(kind="earn", actor=cashier).count() == 1


def test_the_counter_takes_points_off_the_bill_but_never_more_than_held(client):
    shop = ShopFactory()
    client.force_login(staff_of(shop))
    supporter = UserFactory()
    give_points(supporter, 300)
    card = services.card_for(supporter)
    url = reverse("loyalty:counter_redeem", args=[shop.pk])

    too_many = client.post(url, {"card": card.number, "key": "k1", "points": "301"})
    negative = client.post(url, {"card": card.number, "key": "k2", "points": "-5"})
    spent = client.post(url, {"card": card.number, "key": "k3", "points": "120"})

    assert too_many.status_code == 400 and b"Not enough points" in too_many.content
    assert negative.status_code == 400
    assert spent.status_code == 302
    assert balance(supporter) == 180
    assert LedgerTransaction.objects.filter(kind="redeem").count() == 1


def test_a_mistyped_card_number_is_explained(client):
    shop = ShopFactory()
    client.force_login(staff_of(shop))
    page = client.get(reverse("loyalty:counter", args=[shop.pk]), {"card": "1234 5678 9012"})
    assert page.status_code == 400
    assert b"No supporter card has this number" in page.content


def test_a_scanned_card_leads_shop_people_to_their_counter_and_refuses_others(client):
    shop = ShopFactory()
    card = services.card_for(UserFactory())
    url = reverse("loyalty:card_scanned", args=[card.number])

    client.force_login(staff_of(shop))
    assert client.get(url)["Location"].startswith(reverse("loyalty:counter", args=[shop.pk]))

    client.force_login(UserFactory())
    refused = client.get(url)
    assert refused.status_code == 403 and b"Only the people of a member shop" in refused.content

    client.force_login(card.user)
    assert client.get(url)["Location"] == reverse("loyalty:card")


def test_the_card_page_shows_a_qr_code_and_the_number(client):
    supporter = UserFactory()
    client.force_login(supporter)
    page = client.get(reverse("loyalty:card"))
    card = SupporterCard.objects.get(user=supporter)
    assert card.display_number.encode() in page.content and b"<svg" in page.content


# Offers -----------------------------------------------------------------------------------
def test_an_offer_is_bought_with_points_and_its_code_works_once_at_its_shop(client):
    shop, other_shop = ShopFactory(), ShopFactory()
    offer = Offer.objects.create(shop=shop, title="Free coffee", points_cost=300, remaining=1)
    first, second = UserFactory(), UserFactory()
    give_points(first, 400)
    give_points(second, 400)

    claim = services.offer_claim(offer_id=offer.pk, user=first, key="c1")
    with pytest.raises(services.LedgerRefused, match="sold out"):
        services.offer_claim(offer_id=offer.pk, user=second, key="c2")
    assert services.offer_claim(offer_id=offer.pk, user=first, key="c1") == claim

    assert (balance(first), balance(second)) == (100, 400)
    with pytest.raises(services.LedgerRefused):
        services.offer_claim_use(shop=other_shop, code=claim.code)
    services.offer_claim_use(shop=shop, code=claim.code.lower())
    with pytest.raises(services.LedgerRefused, match="already used"):
        services.offer_claim_use(shop=shop, code=claim.code)


def test_an_offer_costing_more_than_the_balance_is_refused_and_kept(client):
    offer = Offer.objects.create(shop=ShopFactory(), title="Cake", points_cost=300, remaining=5)
    supporter = UserFactory()
    give_points(supporter, 100)
    client.force_login(supporter)

    client.post(reverse("loyalty:offer_claim", args=[offer.pk]), {"key": "abc"})

    offer.refresh_from_db()
    assert offer.remaining == 5 and not OfferClaim.objects.exists()
    assert balance(supporter) == 100


def test_shops_publish_offers_from_the_dashboard(client):
    shop = ShopFactory()
    client.force_login(staff_of(shop))
    url = reverse("loyalty:shop_offers", args=[shop.pk])
    bad = client.post(url, {"title": "Tea", "points_cost": "0", "is_active": "on"})
    good = client.post(url, {"title": "Tea", "points_cost": "150", "is_active": "on"})
    assert bad.status_code == 400 and good.status_code == 302
    assert list(Offer.objects.values_list("shop", "title", "points_cost")) == [
        (shop.pk, "Tea", 150)
    ]


# Settlement and expiry ----------------------------------------------------------------------
def _last_month():
    first_of_month = timezone.localdate().replace(day=1)
    return (first_of_month - datetime.timedelta(days=1)).replace(day=1)


def test_points_earned_at_one_shop_and_spent_at_another_are_settled_monthly(client):
    bakery, grocer = ShopFactory(), ShopFactory()
    supporter = UserFactory()
    give_points(supporter, 800, shop=bakery)
    services.points_redeem(user=supporter, shop=grocer, points=500, key="spend")
    last_month = timezone.now() - datetime.timedelta(days=timezone.localdate().day + 1)
    LedgerTransaction.objects.update(created_at=last_month)

    settlement = services.settlement_run(month=_last_month())
    again = services.settlement_run(month=_last_month())

    assert settlement == again and Settlement.objects.count() == 1
    lines = {line.shop_id: line for line in settlement.lines.all()}
    assert (lines[bakery.pk].issued, lines[bakery.pk].net) == (800, -800)
    assert (lines[grocer.pk].redeemed, lines[grocer.pk].net) == (500, 500)
    for shop in (bakery, grocer):
        assert services.account_for_shop(shop).balance == 0
    # The pool holds exactly the points still in wallets.
    assert services.network_account().balance == -balance(supporter) == -300
    client.force_login(staff_of(grocer))
    page = client.get(reverse("loyalty:shop_settlement", args=[grocer.pk]))
    assert "you received €5.00" in page.content.decode()


def test_old_points_expire_first_in_first_out_with_a_reminder_before(
    settings, django_capture_on_commit_callbacks
):
    settings.LOYALTY_POINTS_EXPIRE_MONTHS = 12
    supporter = UserFactory()
    services.card_for(supporter)
    old = give_points(supporter, 500)
    give_points(supporter, 200)
    services.points_redeem(user=supporter, shop=ShopFactory(), points=100, key="coffee")
    LedgerTransaction.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=350)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_expiring_points_task() == 1
        assert tasks.remind_expiring_points_task() == 0  # one reminder, not one a night
    assert len(mail.outbox) == 1
    assert "400 of your points" in mail.outbox[0].subject

    LedgerTransaction.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )
    tasks.expire_points_task()
    tasks.expire_points_task()

    assert balance(supporter) == 200
    assert services.network_account(Account.Kind.EXPIRED).balance == 400
    from loyalty.selectors import transparency_figures

    assert transparency_figures()["expired"][0]["points"] == 400


def test_the_nightly_check_tells_operators_when_the_ledger_is_off(settings):
    settings.ADMINS = [("Ops", "ops@town.example")]
    give_points(UserFactory(), 100)
    assert tasks.check_trial_balance_task() is True
    Account.objects.filter(kind="supporter_points").update(balance=99)

    assert tasks.check_trial_balance_task() is False
    assert "out of balance" in mail.outbox[-1].subject
    assert Entry.objects.count() == 2  # the check changes nothing


# Access ---------------------------------------------------------------------------------------
SHOP_URLS = [
    ("loyalty:counter", "get", {}),
    ("loyalty:counter_award", "post", {"amount": "5", "key": "x"}),
    ("loyalty:counter_redeem", "post", {"points": "5", "key": "y"}),
    ("loyalty:counter_offer_use", "post", {"code": "ABCDEF"}),
    ("loyalty:shop_offers", "get", {}),
    ("loyalty:shop_offers", "post", {"title": "x", "points_cost": "5"}),
    ("loyalty:shop_settlement", "get", {}),
]


@pytest.mark.parametrize("name,method,data", SHOP_URLS)
def test_people_of_another_shop_get_a_404_and_change_nothing(client, name, method, data):
    shop, other = ShopFactory(), ShopFactory()
    supporter = UserFactory()
    give_points(supporter, 100)
    card = services.card_for(supporter)
    client.force_login(staff_of(other))

    response = getattr(client, method)(reverse(name, args=[shop.pk]), {**data, "card": card.number})

    assert response.status_code == 404
    assert balance(supporter) == 100 and not Offer.objects.exists()


SUPPORTER_URLS = ["loyalty:wallet", "loyalty:card", "loyalty:offers"]


@pytest.mark.parametrize("name", SUPPORTER_URLS)
def test_supporter_pages_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_checkout_page_offers_points_and_refuses_more_than_held(client):
    from orders.tests.test_views import checkout_form

    customer = UserFactory()
    give_points(customer, 400)
    shop = open_shop()
    bread = ProductFactory(shop=shop, price=Money("6.00", "EUR"))
    client.force_login(customer)
    client.post(reverse("orders:cart_add", args=[bread.pk]), {"quantity": "1"})

    page = client.get(reverse("orders:checkout"))
    assert page.context["points_usable"] == 300  # half of 6.00 €
    assert "Up to 300 can pay for this cart." in page.content.decode()
    refused = client.post(reverse("orders:checkout"), checkout_form(client, shop, points="401"))
    assert refused.status_code == 400 and not Order.objects.exists()

    placed = client.post(reverse("orders:checkout"), checkout_form(client, shop, points="250"))

    order = Order.objects.get()
    assert placed.status_code == 302
    assert order.points_redeemed == 250 and order.total == Money("3.50", "EUR")
    assert balance(customer) == 150
    assert "−€2.50" in client.get(order.get_absolute_url()).content.decode()


def test_a_shop_not_yet_admitted_gives_no_points_and_publishes_no_offers(client):
    applying = ShopFactory(status="applied")
    client.force_login(staff_of(applying))
    supporter = UserFactory()
    give_points(supporter, 300)
    card = services.card_for(supporter)

    counter = client.get(reverse("loyalty:counter", args=[applying.pk]), {"card": card.number})
    award = client.post(
        reverse("loyalty:counter_award", args=[applying.pk]),
        {"card": card.number, "key": "a", "amount": "500"},
    )
    redeem = client.post(
        reverse("loyalty:counter_redeem", args=[applying.pk]),
        {"card": card.number, "key": "b", "points": "100"},
    )
    offer = client.post(
        reverse("loyalty:shop_offers", args=[applying.pk]), {"title": "Tea", "points_cost": "50"}
    )

    assert b"once the members have admitted it" in counter.content
    assert award.status_code == redeem.status_code == offer.status_code == 400
    assert balance(supporter) == 300 and not Offer.objects.exists()


def test_the_counter_page_has_no_duplicate_ids(client):
    import re

    shop = ShopFactory()
    client.force_login(staff_of(shop))
    card = services.card_for(UserFactory())
    page = client.get(reverse("loyalty:counter", args=[shop.pk]), {"card": card.number})
    ids = re.findall(r'\sid="([^"]+)"', page.content.decode())
    assert ids and len(ids) == len(set(ids))


@given(caps=st.lists(st.integers(0, 5000), min_size=1, max_size=6), share=st.floats(0, 1))
def test_points_are_shared_among_shops_in_proportion_and_never_above_a_cap(caps, share):
    from orders.services.checkout import _proportional_shares

    total = int(sum(caps) * share)
    shares = _proportional_shares(total, caps)
    assert sum(shares) == total
    for part, cap in zip(shares, caps, strict=True):
        assert 0 <= part <= cap
        assert abs(part - total * cap / max(sum(caps), 1)) < 1


def test_fewer_points_than_the_caps_are_shared_in_proportion():
    customer = UserFactory()
    give_points(customer, 1000)
    shop_a, shop_b = open_shop(), open_shop()
    cart = cart_with(
        [
            (ProductFactory(shop=shop_a, price=Money("10.00", "EUR")), "1"),
            (ProductFactory(shop=shop_b, price=Money("4.00", "EUR")), "1"),
        ],
        user=customer,
    )
    purchase = order_services.checkout_place(
        cart=cart, customer=customer, request=pickup_request([shop_a, shop_b], points=350)
    )
    assert [o.points_redeemed for o in purchase.orders.order_by("shop_id")] == [250, 100]


def test_a_refund_gives_spent_points_back_before_taking_earned_ones():
    customer = UserFactory()
    give_points(customer, 1000)
    shop = open_shop()
    cart = cart_with([(ProductFactory(shop=shop, price=Money("20.00", "EUR")), "1")], user=customer)
    purchase = order_services.checkout_place(
        cart=cart, customer=customer, request=pickup_request([shop], points=500)
    )
    order = purchase.orders.get()
    for status in ("accepted", "ready"):
        order_services.order_transition(order=order, to_status=status)
    order_services.order_collect_with_code(order=order, code=order.pickup_code, actor=None)
    assert balance(customer) == 530  # 500 left + 30 earned on the 15 € paid in money
    services.points_redeem(user=customer, shop=ShopFactory(), points=530, key="all-of-it")

    order_services.order_transition(order=order, to_status="refunded")

    # The 500 spent on the order come back; the 30 earned on it are taken back.
    assert balance(customer) == 470
    assert services.trial_balance()["balanced"]


def test_the_supporter_hears_of_every_use_of_the_card_at_a_counter_once(
    client, django_capture_on_commit_callbacks
):
    shop = ShopFactory(name="Corner Bakery")
    client.force_login(staff_of(shop))
    supporter = UserFactory()
    give_points(supporter, 300)
    card = services.card_for(supporter)
    form = {"card": card.number, "key": "once", "points": "120"}
    url = reverse("loyalty:counter_redeem", args=[shop.pk])

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, form)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, form)  # the same form again: no second spend, no second email

    assert balance(supporter) == 180
    notices = [m for m in mail.outbox if "supporter card was used" in m.subject]
    assert len(notices) == 1 and notices[0].to == [supporter.email]
    assert "120 of your points" in notices[0].body and "Corner Bakery" in notices[0].body
