"""Presale pages as people use them: the public list and campaign page, pledging, the
supporter's pledges, the shop's campaign pages, the counter, and Stripe's webhook."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from loyalty import services
from loyalty.models import Campaign, LedgerTransaction, Pledge
from loyalty.presales import services as presales
from marketplace.money import money_from_cents
from marketplace.tests.factories import UserFactory
from shops.tests.factories import ShopFactory, ShopMembershipFactory

from .factories import campaign, give_points, holding, paid_pledge, redeeming, token
from .fake_stripe import completed, expired, install, signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_stripe(settings, monkeypatch):
    return install(settings, monkeypatch)


def shop_member(shop):
    user = UserFactory()
    ShopMembershipFactory(shop=shop, user=user, role="owner")
    return user


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


# The public side -----------------------------------------------------------------------------
def test_the_list_shows_open_campaigns_with_progress_and_hides_drafts(client):
    open_one = campaign(title="A bigger oven", target="200.00")
    paid_pledge(open_one, amount="50.00")
    campaign(title="Secret draft", status=Campaign.Status.DRAFT)
    page = client.get(reverse("loyalty:presale_list")).content.decode()
    assert "A bigger oven" in page and "Secret draft" not in page
    assert 'value="25"' in page  # 50 of 200 € as a progress bar
    assert "1 supporter" in page


def test_list_pages_cost_the_same_queries_for_one_and_many(client):
    supporter = UserFactory()
    client.force_login(supporter)
    first = campaign(target="10.00")
    paid_pledge(first, supporter)
    listed = _count(client, "loyalty:presale_list")
    mine = _count(client, "loyalty:my_pledges")
    for _ in range(12):
        other = campaign()
        paid_pledge(other, supporter)
        paid_pledge(other)
    redeeming(first)
    assert _count(client, "loyalty:presale_list") == listed
    assert _count(client, "loyalty:my_pledges") == mine


def _count(client, name, *args) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(reverse(name, args=args))  # the person's menu roles are cached from then on
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return len(queries)


def test_shop_list_pages_cost_the_same_queries_for_one_and_many(client):
    shop = ShopFactory()
    client.force_login(shop_member(shop))
    oven = campaign(shop)
    paid_pledge(oven)
    list_count = _count(client, "loyalty:shop_campaigns", shop.pk)
    detail_count = _count(client, "loyalty:shop_campaign", shop.pk, oven.pk)
    for _ in range(24):
        campaign(shop)
        paid_pledge(oven)
    assert _count(client, "loyalty:shop_campaigns", shop.pk) == list_count
    assert _count(client, "loyalty:shop_campaign", shop.pk, oven.pk) == detail_count


def test_the_campaign_page_says_what_happens_before_anyone_pledges(client):
    oven = campaign(if_missed=Campaign.IfMissed.KEEP, target="800.00")
    page = client.get(reverse("loyalty:campaign_detail", args=[oven.pk])).content.decode()
    assert "interest-free loan" in page and "not a donation" in page
    assert "The shop keeps the money and honours every pledge" in page
    assert "800.00" in page or "800,00" in page
    assert "Log in to pledge" in page


def test_a_draft_campaign_is_not_found(client):
    draft = campaign(status=Campaign.Status.DRAFT)
    assert client.get(reverse("loyalty:campaign_detail", args=[draft.pk])).status_code == 404


def test_pledging_to_pay_at_the_shop_leads_to_instructions(client):
    oven = campaign()
    supporter = UserFactory()
    client.force_login(supporter)
    response = client.post(
        reverse("loyalty:pledge_create", args=[oven.pk]),
        {"amount": "25.00", "points": "0", "payment_method": "at_shop", "token": token()},
    )
    pledge = Pledge.objects.get()
    assert response.url == reverse("loyalty:pledge_detail", args=[pledge.pk])
    page = client.get(response.url).content.decode()
    assert "Pay 25.00" in page or "Pay €25.00" in page or "25.00" in page
    assert pledge.status == Pledge.Status.AWAITING_PAYMENT


def test_pledging_by_card_sends_the_supporter_to_stripe_with_the_money_part(client, fake_stripe):
    oven = campaign()
    supporter = UserFactory()
    give_points(supporter, 500)
    client.force_login(supporter)
    response = client.post(
        reverse("loyalty:pledge_create", args=[oven.pk]),
        {"amount": "25.00", "points": "500", "payment_method": "card", "token": token()},
    )
    pledge = Pledge.objects.get()
    assert response.url == f"https://checkout.stripe.test/pay/cs_pledge_{pledge.pk}"
    _method, _url, headers, form = fake_stripe.calls[0]
    assert form["line_items[0][price_data][unit_amount]"] == ["2000"]  # 25 € less 500 points
    assert form["metadata[pledge_id]"] == [str(pledge.pk)]
    assert headers["Idempotency-Key"] == f"commonplace-pledge-{pledge.pk}"


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"amount": "0"}, "The smallest pledge for this campaign is"),
        ({"amount": "-3"}, "The smallest pledge for this campaign is"),
        ({"amount": "1.00"}, "smallest pledge"),
        ({"amount": "20.00", "points": "900"}, "Not enough points"),
        ({"amount": "20.00", "payment_method": "card"}, "Select a valid choice"),
    ],
)
def test_bad_pledges_get_a_clear_message_and_nothing_changes(client, post, message):
    oven = campaign()
    supporter = UserFactory()
    give_points(supporter, 100)
    client.force_login(supporter)
    data = {"amount": "20.00", "points": "0", "payment_method": "at_shop", "token": token()}
    response = client.post(reverse("loyalty:pledge_create", args=[oven.pk]), {**data, **post})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Pledge.objects.exists()


def test_pledging_after_the_deadline_is_refused(client):
    oven = campaign(deadline=timezone.now() - datetime.timedelta(hours=1))
    client.force_login(UserFactory())
    response = client.post(
        reverse("loyalty:pledge_create", args=[oven.pk]),
        {"amount": "20.00", "payment_method": "at_shop", "token": token()},
    )
    assert response.status_code == 400
    assert "no longer takes pledges" in response.content.decode()


def test_my_presales_show_the_value_left(client):
    oven = campaign(target="10.00")
    pledge = paid_pledge(oven, amount="30.00")
    redeeming(oven)
    presales.presale_redeem(
        shop=oven.shop,
        user=pledge.supporter,
        campaign_id=oven.pk,
        amount_cents=1250,
        key=token(),
        actor=None,
    )
    client.force_login(pledge.supporter)
    page = client.get(reverse("loyalty:my_pledges")).content.decode()
    assert "17.50" in page


# The shop's side -----------------------------------------------------------------------------
def test_a_shop_creates_publishes_and_cancels_a_campaign(client):
    shop = ShopFactory()
    client.force_login(shop_member(shop))
    now = timezone.localtime()
    terms = {
        "title": "Winter stock",
        "purpose": "Firewood and flour for the winter.",
        "target_amount": "1500.00",
        "min_pledge_amount": "10.00",
        "deadline": (now + datetime.timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
        "reward": "store_credit",
        "reward_description": "",
        "redemption_opens_on": (now + datetime.timedelta(days=30)).date().isoformat(),
        "redemption_ends_on": (now + datetime.timedelta(days=200)).date().isoformat(),
        "if_missed": "refund",
        "accepts_points": "on",
    }
    bad = client.post(
        reverse("loyalty:shop_campaign_new", args=[shop.pk]),
        {**terms, "redemption_ends_on": terms["redemption_opens_on"]},
    )
    assert bad.status_code == 400 and "Redemption must end after it opens" in bad.content.decode()
    response = client.post(reverse("loyalty:shop_campaign_new", args=[shop.pk]), terms)
    created = Campaign.objects.get(shop=shop)
    assert response.url == reverse("loyalty:shop_campaign", args=[shop.pk, created.pk])
    assert created.status == Campaign.Status.DRAFT and created.accepts_points
    publish_url = reverse("loyalty:shop_campaign_publish", args=[shop.pk, created.pk])
    unchecked = client.post(publish_url, follow=True)
    created.refresh_from_db()
    assert created.status == Campaign.Status.DRAFT
    assert "cannot change once published" in unchecked.content.decode()
    client.post(publish_url, {"terms_checked": "yes"})
    created.refresh_from_db()
    assert created.status == Campaign.Status.OPEN
    edit = client.get(reverse("loyalty:shop_campaign_edit", args=[shop.pk, created.pk]))
    assert edit.status_code == 302  # published terms stay as supporters read them
    paid_pledge(created, amount="20.00")
    client.post(
        reverse("loyalty:shop_campaign_cancel", args=[shop.pk, created.pk]),
        {"reason": "The oven was repaired."},
    )
    created.refresh_from_db()
    assert created.status == Campaign.Status.CANCELLED
    assert created.events.last().note == "The oven was repaired."


def test_the_shop_opens_redemption_now_once_the_target_is_reached(client):
    oven = campaign(target="40.00")
    client.force_login(shop_member(oven.shop))
    url = reverse("loyalty:shop_campaign_open_redemption", args=[oven.shop.pk, oven.pk])
    response = client.post(url)
    assert "target is reached" in messages_of(response)
    paid_pledge(oven, amount="40.00")
    client.post(url)
    oven.refresh_from_db()
    assert oven.status == Campaign.Status.REDEEMING


# The counter ---------------------------------------------------------------------------------
@pytest.fixture
def at_counter(client):
    """A shop member at the counter, a supporter holding 30 € in a campaign in redemption."""
    oven = campaign(target="10.00")
    pledge = paid_pledge(oven, amount="30.00")
    redeeming(oven)
    card = services.card_for(pledge.supporter)
    client.force_login(shop_member(oven.shop))
    return oven, pledge.supporter, card


def redeem(client, oven, card, amount, key=None):
    return client.post(
        reverse("loyalty:counter_presale_redeem", args=[oven.shop.pk]),
        {"card": card.number, "key": key or token(), "campaign": oven.pk, "amount": amount},
    )


def test_the_counter_shows_the_value_left_and_redeems_a_part(client, at_counter):
    oven, supporter, card = at_counter
    counter = reverse("loyalty:counter", args=[oven.shop.pk]) + f"?card={card.number}"
    page = client.get(counter).content.decode()
    assert "Presales at this shop" in page and "30.00" in page
    response = redeem(client, oven, card, "12.50")
    assert response.url == counter
    assert "Redeemed" in messages_of(response) and "17.50" in messages_of(response)
    assert holding(supporter, oven) == 1750
    assert "17.50" in client.get(counter).content.decode()


def test_a_redemption_sent_twice_from_the_counter_counts_once(client, at_counter):
    oven, supporter, card = at_counter
    redeem(client, oven, card, "5.00", key="same-form")
    redeem(client, oven, card, "5.00", key="same-form")
    assert LedgerTransaction.objects.filter(kind="presale_redeem").count() == 1
    assert holding(supporter, oven) == 2500


@pytest.mark.parametrize(
    ("amount", "message"),
    [("30.01", "Not enough presale value"), ("0", "above zero"), ("-5", "above zero")],
)
def test_bad_redemptions_at_the_counter_are_refused(client, at_counter, amount, message):
    oven, supporter, card = at_counter
    response = redeem(client, oven, card, amount)
    assert message in messages_of(response)
    assert holding(supporter, oven) == 3000
    assert not LedgerTransaction.objects.filter(kind="presale_redeem").exists()


def test_redemption_before_it_opens_is_refused_at_the_counter(client):
    oven = campaign(target="10.00")
    pledge = paid_pledge(oven, amount="30.00")
    presales.campaign_close(campaign=oven, now=oven.deadline + datetime.timedelta(seconds=1))
    card = services.card_for(pledge.supporter)
    client.force_login(shop_member(oven.shop))
    counter = reverse("loyalty:counter", args=[oven.shop.pk]) + f"?card={card.number}"
    assert "Redemption opens on" in client.get(counter).content.decode()
    response = redeem(client, oven, card, "5.00")
    assert "Redemption opens on" in messages_of(response)
    assert holding(pledge.supporter, oven) == 3000


def test_a_member_of_another_shop_cannot_use_this_counter(client, at_counter):
    oven, supporter, card = at_counter
    client.force_login(shop_member(ShopFactory()))
    assert redeem(client, oven, card, "5.00").status_code == 404
    assert holding(supporter, oven) == 3000


def test_the_counter_confirms_a_pledge_paid_at_the_shop(client):
    oven = campaign()
    supporter = UserFactory()
    pledge = presales.pledge_create(
        campaign=oven,
        supporter=supporter,
        amount=money_from_cents(2000),
        payment_method="at_shop",
        token=token(),
    )
    card = services.card_for(supporter)
    client.force_login(shop_member(oven.shop))
    counter = reverse("loyalty:counter", args=[oven.shop.pk]) + f"?card={card.number}"
    assert "received" in client.get(counter).content.decode()
    response = client.post(
        reverse("loyalty:counter_pledge_paid", args=[oven.shop.pk]),
        {"card": card.number, "pledge": pledge.pk},
    )
    assert "paid" in messages_of(response)
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.PAID and holding(supporter, oven) == 2000
    # Another card holder's pledge cannot be confirmed with this card.
    other = services.card_for(UserFactory())
    response = client.post(
        reverse("loyalty:counter_pledge_paid", args=[oven.shop.pk]),
        {"card": other.number, "pledge": pledge.pk},
    )
    assert "no such pledge" in messages_of(response)


# Stripe's webhook ----------------------------------------------------------------------------
def post_event(client, payload):
    body, header = signed(payload)
    return client.post(
        reverse("orders:stripe_webhook"),
        body,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )


def test_a_signed_payment_pays_the_pledge_once(client, fake_stripe):
    oven = campaign()
    pledge = presales.pledge_create(
        campaign=oven,
        supporter=UserFactory(),
        amount=money_from_cents(2500),
        payment_method="card",
        token=token(),
    )
    presales.pledge_checkout_start(pledge=pledge, return_url="https://x", cancel_url="https://x")
    for _ in range(2):
        assert post_event(client, completed(pledge)).status_code == 200
    pledge.refresh_from_db(), oven.refresh_from_db()
    assert pledge.status == Pledge.Status.PAID and pledge.provider_payment_id == "pi_pledge"
    assert LedgerTransaction.objects.filter(kind="pledge").count() == 1
    assert oven.raised == money_from_cents(2500)


def test_an_expired_checkout_lapses_the_pledge_and_a_bad_signature_is_refused(client, fake_stripe):
    oven = campaign()
    pledge = presales.pledge_create(
        campaign=oven,
        supporter=UserFactory(),
        amount=money_from_cents(2500),
        payment_method="card",
        token=token(),
    )
    presales.pledge_checkout_start(pledge=pledge, return_url="https://x", cancel_url="https://x")
    body, _header = signed(completed(pledge))
    forged = client.post(
        reverse("orders:stripe_webhook"),
        body,
        content_type="application/json",
        headers={"Stripe-Signature": "t=1,v1=forged"},
    )
    assert forged.status_code == 400
    post_event(client, expired(pledge))
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.CANCELLED
    assert not LedgerTransaction.objects.exists()


@pytest.mark.parametrize(
    "shape", ["no data", "object a string", "no type", "no metadata", "pledge id a number"]
)
def test_a_signed_pledge_event_of_an_unexpected_shape_changes_nothing(client, fake_stripe, shape):
    oven = campaign()
    pledge = presales.pledge_create(
        campaign=oven,
        supporter=UserFactory(),
        amount=money_from_cents(2500),
        payment_method="card",
        token=token(),
    )
    presales.pledge_checkout_start(pledge=pledge, return_url="https://x", cancel_url="https://x")
    event = completed(pledge)
    session = event["data"]["object"]
    if shape == "no data":
        del event["data"]
    elif shape == "object a string":
        event["data"]["object"] = session["id"]
    elif shape == "no type":
        del event["type"]
    elif shape == "no metadata":
        del session["metadata"]
    else:
        session["metadata"]["pledge_id"] = pledge.pk
    response = post_event(client, event)
    assert response.status_code == 200
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.AWAITING_PAYMENT
    assert not LedgerTransaction.objects.exists()


def test_a_late_payment_for_a_refunded_campaign_is_given_back(
    client, fake_stripe, django_capture_on_commit_callbacks
):
    oven = campaign(target="900.00", if_missed="refund")
    pledge = presales.pledge_create(
        campaign=oven,
        supporter=UserFactory(),
        amount=money_from_cents(2500),
        payment_method="card",
        token=token(),
    )
    presales.pledge_checkout_start(pledge=pledge, return_url="https://x", cancel_url="https://x")
    presales.campaign_close(campaign=oven, now=oven.deadline + datetime.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, completed(pledge))
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.CANCELLED and pledge.money_returned_at is not None
    assert fake_stripe.refunds()[0]["amount"] == ["2500"]
    assert not LedgerTransaction.objects.filter(kind="pledge").exists()


# Nobody sees what is not theirs --------------------------------------------------------------
def _every_presale_url(oven, pledge):
    shop = oven.shop.pk
    return [
        ("get", reverse("loyalty:pledge_detail", args=[pledge.pk]), {}),
        ("post", reverse("loyalty:pledge_pay", args=[pledge.pk]), {}),
        ("post", reverse("loyalty:pledge_cancel", args=[pledge.pk]), {}),
        ("get", reverse("loyalty:shop_campaigns", args=[shop]), {}),
        ("get", reverse("loyalty:shop_campaign_new", args=[shop]), {}),
        ("post", reverse("loyalty:shop_campaign_new", args=[shop]), {}),
        ("get", reverse("loyalty:shop_campaign", args=[shop, oven.pk]), {}),
        ("get", reverse("loyalty:shop_campaign_edit", args=[shop, oven.pk]), {}),
        ("post", reverse("loyalty:shop_campaign_publish", args=[shop, oven.pk]), {}),
        ("post", reverse("loyalty:shop_campaign_open_redemption", args=[shop, oven.pk]), {}),
        ("post", reverse("loyalty:shop_campaign_cancel", args=[shop, oven.pk]), {}),
        ("post", reverse("loyalty:counter_presale_redeem", args=[shop]), {}),
        ("post", reverse("loyalty:counter_pledge_paid", args=[shop]), {}),
        ("post", reverse("loyalty:counter_refund_handed", args=[shop]), {}),
    ]


@pytest.mark.parametrize("index", range(14))
def test_every_presale_url_is_not_found_for_the_wrong_user(client, index):
    # Given a draft campaign of one shop and a supporter's pledge to an open one
    draft = campaign(status=Campaign.Status.DRAFT)
    oven = campaign(draft.shop)
    pledge = presales.pledge_create(
        campaign=oven,
        supporter=UserFactory(),
        amount=money_from_cents(2000),
        payment_method="at_shop",
        token=token(),
    )
    # When a member of another shop (who is not the supporter) tries each URL
    client.force_login(shop_member(ShopFactory()))
    method, url, data = _every_presale_url(draft, pledge)[index]
    response = getattr(client, method)(url, data)
    # Then it is not found, and nothing changed
    assert response.status_code == 404
    draft.refresh_from_db(), pledge.refresh_from_db()
    assert draft.status == Campaign.Status.DRAFT
    assert pledge.status == Pledge.Status.AWAITING_PAYMENT


def test_a_draft_is_not_public_even_by_pledging_to_it(client):
    draft = campaign(status=Campaign.Status.DRAFT)
    client.force_login(UserFactory())
    response = client.post(
        reverse("loyalty:pledge_create", args=[draft.pk]),
        {"amount": "20.00", "payment_method": "at_shop", "token": token()},
    )
    assert response.status_code == 404


def test_points_held_for_a_card_pledge_come_back_when_the_campaign_ends_before_payment(
    client, fake_stripe, django_capture_on_commit_callbacks
):
    # Given a card pledge of 25 € with 500 points: the points are held at once
    oven = campaign()
    supporter = UserFactory()
    give_points(supporter, 500)
    pledge = presales.pledge_create(
        campaign=oven,
        supporter=supporter,
        amount=money_from_cents(2500),
        points=500,
        payment_method="card",
        token=token(),
    )
    presales.pledge_checkout_start(pledge=pledge, return_url="https://x", cancel_url="https://x")
    assert services.account_for_supporter(supporter).balance == 0
    # When the shop calls the campaign off, and then Stripe reports the 20 € paid
    presales.campaign_cancel(campaign=oven, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, completed(pledge))
    # Then the pledge is cancelled, the 20 € go back, the points came back once
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.CANCELLED
    assert fake_stripe.refunds()[0]["amount"] == ["2000"]
    assert not LedgerTransaction.objects.filter(idempotency_key=f"pledge-{pledge.pk}").exists()
    assert services.account_for_supporter(supporter).balance == 500
    assert services.trial_balance()["balanced"]


def test_a_draft_can_be_edited_until_it_is_published(client):
    draft = campaign(status=Campaign.Status.DRAFT, title="Old title")
    client.force_login(shop_member(draft.shop))
    url = reverse("loyalty:shop_campaign_edit", args=[draft.shop.pk, draft.pk])
    form = client.get(url).context["form"]
    assert form.initial["title"] == "Old title"
    data = {
        key: (value.strftime("%Y-%m-%dT%H:%M") if key == "deadline" else value)
        for key, value in form.initial.items()
    }
    data["accepts_points"] = "on" if data["accepts_points"] else ""
    client.post(url, {**data, "title": "New title", "target_amount": "750.00"})
    draft.refresh_from_db()
    assert draft.title == "New title" and draft.target == money_from_cents(75000)


def test_a_campaign_paid_back_in_products_shows_them_and_takes_only_the_shops_own(client):
    from shops.tests.factories import ProductFactory

    shop = ShopFactory()
    loaf, cake = ProductFactory(shop=shop, title="Rye loaf"), ProductFactory(shop=shop)
    elsewhere = ProductFactory(title="Someone else's cheese")
    client.force_login(shop_member(shop))
    now = timezone.localtime()
    terms = {
        "title": "Bread for a year",
        "purpose": "A new mill.",
        "target_amount": "900.00",
        "min_pledge_amount": "10.00",
        "deadline": (now + datetime.timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
        "reward": "product_list",
        "reward_description": "",
        "redemption_opens_on": (now + datetime.timedelta(days=30)).date().isoformat(),
        "redemption_ends_on": (now + datetime.timedelta(days=200)).date().isoformat(),
        "if_missed": "keep",
    }
    url = reverse("loyalty:shop_campaign_new", args=[shop.pk])
    refused = client.post(url, {**terms, "products": [loaf.pk, elsewhere.pk]})
    assert refused.status_code == 400 and not Campaign.objects.exists()
    client.post(url, {**terms, "products": [loaf.pk, cake.pk]})
    created = Campaign.objects.get()
    assert set(created.products.all()) == {loaf, cake}
    presales.campaign_publish(campaign=created, actor=None)
    page = client.get(reverse("loyalty:campaign_detail", args=[created.pk])).content.decode()
    assert "Rye loaf" in page
    with pytest.raises(presales.CampaignError):
        presales.campaign_update(
            campaign=campaign(shop, status=Campaign.Status.DRAFT),
            actor=None,
            data={**_terms_of(created), "products": [elsewhere.pk]},
        )


def _terms_of(campaign_) -> dict:
    return {field: getattr(campaign_, field) for field in presales.EDITABLE_FIELDS}


def test_my_presales_list_only_my_own_pledges_and_value(client):
    oven = campaign(title="The bakers oven", target="10.00")
    paid_pledge(oven, amount="20.00")
    client.force_login(UserFactory())
    page = client.get(reverse("loyalty:my_pledges")).content.decode()
    assert "The bakers oven" not in page and "You have not backed a shop yet" in page


def test_the_shops_page_invites_supporters_to_its_open_campaign(client):
    oven = campaign(title="A bigger oven")
    campaign(oven.shop, title="Hidden draft", status=Campaign.Status.DRAFT)
    page = client.get(oven.shop.get_absolute_url()).content.decode()
    assert "Back this shop" in page and "A bigger oven" in page
    assert "Hidden draft" not in page


def test_shop_staff_see_campaigns_but_only_owners_borrow_in_the_shops_name(client):
    draft = campaign(status=Campaign.Status.DRAFT)
    staff = UserFactory()
    ShopMembershipFactory(shop=draft.shop, user=staff, role="staff")
    client.force_login(staff)
    shop_id = draft.shop.pk

    listed = client.get(reverse("loyalty:shop_campaigns", args=[shop_id]))
    new = client.get(reverse("loyalty:shop_campaign_new", args=[shop_id]))
    publish = client.post(
        reverse("loyalty:shop_campaign_publish", args=[shop_id, draft.pk]),
        {"terms_checked": "yes"},
    )

    assert listed.status_code == 200 and "its owners start" in listed.content.decode()
    assert new.status_code == publish.status_code == 404
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.DRAFT


def test_a_long_form_sent_empty_lists_what_to_fix_at_the_top(client):
    shop = ShopFactory()
    client.force_login(shop_member(shop))
    response = client.post(reverse("loyalty:shop_campaign_new", args=[shop.pk]), {"purpose": ""})
    page = response.content.decode()
    assert response.status_code == 400
    summary = page[page.index("error-summary") : page.index("</ul>", page.index("error-summary"))]
    assert "Please correct" in summary and 'href="#id_title"' in summary
