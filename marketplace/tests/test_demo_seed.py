"""The demo town loads, looks like a real town with eight weeks behind it, is the same every
time, and loading it twice changes nothing."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from governance.models import Member, NoticeboardPost, Proposal, Vote
from governance.selectors import fees_collected_by_month
from logistics.models import Courier, DeliveryJob
from logistics.selectors import earnings_by_week
from loyalty.models import LedgerTransaction, Settlement
from loyalty.services import trial_balance
from marketplace.demo import catalogue
from marketplace.demo.seed import DEMO_PASSWORD
from orders.models import Order, OrderEvent, OrderLine
from shops.models import Product, ProductPhoto, Shop
from shops.services.photos import product_photo_delete

pytestmark = pytest.mark.django_db


def snapshot():
    return sorted(
        Product.objects.values_list("shop__slug", "sku", "title", "price", "stock_quantity")
    )


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            Shop,
            Product,
            ProductPhoto,
            Courier,
            Member,
            Order,
            OrderEvent,
            DeliveryJob,
            LedgerTransaction,
            Settlement,
            Proposal,
            Vote,
            NoticeboardPost,
        )
    }


def test_the_demo_town_has_shops_products_couriers_members_and_logins():
    output = seed()
    active = Shop.objects.filter(status=Shop.Status.ACTIVE)
    assert active.count() >= 12
    assert Product.objects.filter(shop__in=active).count() >= 300
    assert Shop.objects.filter(status=Shop.Status.APPLIED).exists()
    assert Courier.objects.filter(is_dispatcher=True).exists()
    assert Member.objects.filter(kind=Member.Kind.SHOP).count() >= 12
    # Products look like a real shop's: several units, labels, and some sold out.
    assert set(Product.objects.values_list("unit", flat=True)) >= {"piece", "kg", "litre", "hour"}
    assert Product.objects.filter(stock_quantity=0, always_available=False).exists()
    assert Product.objects.filter(labels__slug="organic").exists()
    for role in ["customer", "shop owner", "courier", "dispatcher", "cooperative member"]:
        assert role in output
    assert "commonplace-demo" in output


def test_every_product_has_a_photo_and_bigger_packs_cost_less_per_unit(client):
    output = seed()
    products = Product.objects.filter(shop__status=Shop.Status.ACTIVE, is_active=True)
    assert products.count() >= 300
    assert not products.filter(photos__isnull=True).exists()
    # One drawn picture per kind of product, stored once with its thumbnail and shared.
    files = set(ProductPhoto.objects.values_list("image", "thumbnail"))
    assert 40 <= len(files) <= 100
    assert f"{len(files)} pictures drawn" in output
    for image, thumbnail in files:
        assert default_storage.exists(image) and default_storage.exists(thumbnail)
    loaf = products.get(title="Rye sourdough loaf 500 g")
    cheese = products.get(title="Mountain cheese")
    assert loaf.photos.get().image.name != cheese.photos.get().image.name
    # The product page and the search cards show them.
    photo = loaf.photos.get()
    assert photo.image.url in client.get(loaf.get_absolute_url()).content.decode()
    assert photo.thumbnail.url in client.get(reverse("search"), {"q": "rye"}).content.decode()

    compared = 0
    for kind in catalogue.KINDS.values():
        for _path, base, _unit, _prices, variants, sizes in kind["products"]:
            labels = [catalogue.size_label_and_factor(size)[0] for size in sizes]
            packs = [(catalogue.pack_amount(label), label) for label in labels]
            packs = sorted((amount, label) for amount, label in packs if amount is not None)
            if len(packs) < 2:
                continue
            for variant in variants:
                priced = []
                for amount, label in packs:
                    title = " ".join(part for part in (variant, base, label) if part)
                    product = products.get(title=title[:1].upper() + title[1:])
                    priced.append((Decimal(str(amount)), product.price.amount, product.title))
                for (small, small_price, _), (big, big_price, title) in zip(
                    priced, priced[1:], strict=False
                ):
                    assert big_price > small_price, title
                    assert big_price / big < small_price / small, title
                    compared += 1
    assert compared >= 40


def test_eight_weeks_of_history_through_the_real_services():
    mail.outbox = []
    seed()
    now = timezone.now()
    today = timezone.localdate()
    past = Order.objects.filter(purchase__checkout_token__startswith="demo-history-")
    assert past.count() >= 45
    days_ago = [(today - timezone.localdate(o.created_at)).days for o in past]
    assert {days // 7 for days in days_ago} == set(range(8))
    assert max(days_ago) < 8 * 7
    # Most were collected or delivered; a few were cancelled, rejected or refunded.
    statuses = list(past.values_list("status", flat=True))
    done = statuses.count("collected") + statuses.count("delivered")
    assert done >= 0.8 * len(statuses)
    assert statuses.count("delivered") >= 6 and statuses.count("collected") >= 25
    assert {"cancelled", "refunded"} & set(statuses)
    # Each order's timeline runs forward and lies in the past.
    for order in past.prefetch_related("events")[:40]:
        moments = [event.created_at for event in order.events.all()]
        assert moments == sorted(moments) and moments[-1] < now
        assert moments[0] == order.created_at
    # The demo courier delivered jobs over the weeks: their earnings page has weeks to show.
    courier = Courier.objects.get(user__email="courier@lindenfeld.example")
    delivered = DeliveryJob.objects.filter(courier=courier, status="delivered")
    assert delivered.count() >= 6
    assert len({job.delivered_at.isocalendar()[1] for job in delivered}) >= 4
    assert sum(week["jobs"] for week in earnings_by_week(courier=courier)) == delivered.count()
    # Points were earned on completion and some spent at checkout; the books balance and the
    # finished month before this one is settled.
    assert LedgerTransaction.objects.filter(kind="earn", order__in=past).count() >= 35
    assert LedgerTransaction.objects.filter(kind="redeem", order__in=past).exists()
    assert trial_balance()["balanced"]
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    settlement = Settlement.objects.get(month=last_month)
    assert settlement.lines.count() >= 5 and settlement.created_at.date() >= today.replace(day=1)
    # The cooperative decided things in those weeks, with the real tally.
    closed = Proposal.objects.exclude(status=Proposal.Status.OPEN)
    assert closed.filter(
        kind="admission", status="accepted", closed_at__gte=now - datetime.timedelta(weeks=8)
    )
    assert closed.filter(kind="poll", status="decided", winning_option__label="Thursday").exists()
    assert closed.filter(kind="fee", status="rejected").exists()
    assert closed.filter(kind="fee", status="accepted").exists()
    assert Proposal.objects.filter(kind="fee", status="open").exists()
    assert NoticeboardPost.objects.count() >= 4
    # Nobody was emailed about the past.
    assert not [m for m in mail.outbox if any("neighbour-" in to for to in m.to)]


def test_the_pages_people_open_show_the_history(client):
    seed()
    today = timezone.localdate()
    # The courier's earnings list the weeks they rode.
    client.login(email="courier@lindenfeld.example", password=DEMO_PASSWORD)
    page = client.get(reverse("logistics:earnings")).content.decode()
    courier = Courier.objects.get(user__email="courier@lindenfeld.example")
    weeks = earnings_by_week(courier=courier)
    assert len(weeks) >= 4
    for week in weeks:
        number = f"{week['week'].isocalendar()[1]}/{week['week']:%Y}"
        assert f"<td>{number}</td><td>{week['jobs']}</td>" in page
    # The baker's report for the last 30 days has the bakery's sales in it.
    bakery = Shop.objects.get(slug="lindenfeld-sourdough-bakery")
    sold = OrderLine.objects.filter(
        order__shop=bakery,
        order__status__in=["collected", "delivered"],
        order__created_at__date__gte=today - datetime.timedelta(days=29),
    )
    assert sold.count() >= 5
    client.login(email="baker@lindenfeld.example", password=DEMO_PASSWORD)
    report = client.get(reverse("dashboard:reports", args=[bakery.pk])).content.decode()
    assert sold.first().title in report
    # The transparency page shows the platform fees of the two months before this one.
    assert client.get(reverse("governance:transparency")).status_code == 200
    fees = dict(fees_collected_by_month(months=3))
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    month_before = (last_month - datetime.timedelta(days=1)).replace(day=1)
    assert fees[last_month] > 0 and fees[month_before] > 0


def test_deleting_a_shared_demo_photo_keeps_the_picture_for_the_other_products(
    django_capture_on_commit_callbacks,
):
    seed()
    photos = ProductPhoto.objects.filter(product__title__endswith="sourdough loaf 500 g")
    assert photos.count() >= 2
    first = photos.first()
    name = first.image.name
    with django_capture_on_commit_callbacks(execute=True):
        product_photo_delete(photo=first)
    assert default_storage.exists(name)
    assert ProductPhoto.objects.filter(image=name).exists()


def test_the_member_login_votes_on_the_open_fee_proposal_and_reads_the_noticeboard(client):
    seed()
    assert client.login(email="member@lindenfeld.example", password=DEMO_PASSWORD)
    proposal = Proposal.objects.get(kind="fee", status="open")
    page = client.get(proposal.get_absolute_url()).content.decode()
    member_id = re.search(r'name="member" value="(\d+)"', page).group(1)
    response = client.post(
        reverse("governance:proposal_vote", args=[proposal.pk]),
        {"member": member_id, "choice": "yes"},
        follow=True,
    )
    assert "Your vote is counted" in response.content.decode()
    vote = Vote.objects.get(proposal=proposal, cast_by__email="member@lindenfeld.example")
    assert vote.choice == "yes" and vote.member.shop.name == "Page Turner Books"
    board = client.get(reverse("governance:noticeboard"))
    assert board.status_code == 200
    assert "Buying fair-trade coffee in bulk together" in board.content.decode()


def test_seeding_twice_changes_nothing_and_is_deterministic(settings, capsys):
    # With the console backend of `make run`, the emails of seeding must not be printed.
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    output = seed()
    printed = capsys.readouterr().out
    first, before = snapshot(), counts()
    for text in (output, printed):
        assert "Subject:" not in text and "Content-Type" not in text
    assert len(output.strip().splitlines()) <= 20
    output = seed()
    assert "(0 new)" in output and "0 pictures drawn" in output
    assert snapshot() == first
    assert counts() == before
    # Recreated from nothing, the same products come back, with their photos.
    Product.objects.all().delete()
    seed()
    assert snapshot() == first
    assert not Product.objects.filter(photos__isnull=True).exists()


def test_the_demo_scales_to_a_given_number_of_products_and_shops():
    seed("--products", "1000", "--shops", "20")
    assert Shop.objects.filter(status=Shop.Status.ACTIVE).count() == 20
    assert Product.objects.filter(shop__status=Shop.Status.ACTIVE).count() == 1000
    assert Product.objects.values("shop", "slug").distinct().count() == Product.objects.count()
    # Many products, the same few picture files.
    assert not Product.objects.filter(photos__isnull=True).exists()
    assert ProductPhoto.objects.values("image").distinct().count() <= 100


def test_bulk_loaded_products_have_their_defaults_labels_and_search_vectors():
    # Given a town loaded by the bulk path (COPY on Postgres)
    seed("--products", "600", "--shops", "12")
    products = Product.objects.all()
    # Then columns not given take the model's defaults and timestamps are set
    assert products.count() >= 600
    assert not products.exclude(allocated_quantity=0).exists()
    assert not products.filter(created_at__isnull=True).exists()
    assert set(products.values_list("price_currency", flat=True)) == {"EUR"}
    # and each label is linked to the product it was drawn for: organic exactly when the
    # description says so
    organic = products.filter(labels__slug="organic")
    assert organic.exists()
    assert not organic.exclude(description__contains="Certified organic.").exists()
    assert (
        not products.filter(description__contains="Certified organic.")
        .exclude(pk__in=organic.values("pk"))
        .exists()
    )
    if connection.vendor == "postgresql":
        # and the search trigger filled every product's vector
        assert not products.filter(search_vector__isnull=True).exists()
