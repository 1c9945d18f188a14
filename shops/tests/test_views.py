import io

import pytest
from django.urls import reverse
from PIL import Image

from shops.models import ProductPhoto, Shop, UnmetSearch

from .factories import OpeningHoursFactory, ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


def test_shop_list_shop_page_and_product_page_show_the_catalogue(client):
    shop = ShopFactory(name="Corner Bakery")
    OpeningHoursFactory(shop=shop)
    product = ProductFactory(shop=shop, title="Rye loaf")
    listing = client.get(reverse("shops:shop_list"))
    assert "Corner Bakery" in listing.content.decode()
    page = client.get(shop.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    assert "Rye loaf" in body and "Opening hours" in body and 'id="map-data"' in body
    detail = client.get(product.get_absolute_url())
    assert detail.status_code == 200
    assert "Rye loaf" in detail.content.decode() and "4.50" in detail.content.decode()


@pytest.mark.parametrize("status", [Shop.Status.APPLIED, Shop.Status.SUSPENDED])
def test_shops_that_are_not_active_and_their_products_are_404(client, status):
    product = ProductFactory(shop=ShopFactory(status=status))
    assert client.get(product.shop.get_absolute_url()).status_code == 404
    assert client.get(product.get_absolute_url()).status_code == 404


def test_unknown_and_inactive_products_are_404(client):
    product = ProductFactory(is_active=False)
    assert client.get(product.get_absolute_url()).status_code == 404
    assert client.get("/shops/no-such-shop/").status_code == 404
    url = reverse("shops:product_detail", args=[product.shop.slug, "no-such-product"])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "x" * 10_000,
        "🍞\u200f\u0639\u0301 ẞ ﷽",
        "'; DROP TABLE shops_product; --",
        "\x00\x01 nul",
        "%_\\ OR 1=1",
        "<script>alert(1)</script>",
        "a & | ! ( ) : * <->",
    ],
)
def test_odd_searches_give_a_normal_page_without_results(client, query):
    ProductFactory(title="Rye loaf")
    response = client.get(reverse("search"), {"q": query})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert b"<script>alert(1)</script>" not in response.content


def test_an_invalid_filter_shows_a_form_error_not_a_crash(client):
    response = client.get(reverse("search"), {"q": "bread", "price_min": "cheap"})
    assert response.status_code == 200
    assert "Please check the filters" in response.content.decode()
    assert "Enter a number." in response.content.decode()


def test_a_search_nobody_can_answer_is_recorded_without_identity(client, django_user_model):
    from marketplace.models import Postcode

    Postcode.objects.create(code="10117", latitude=52.5163, longitude=13.3777)
    ProductFactory(title="Rye loaf")
    client.get(reverse("search"), {"q": "  Oat MILK "})
    client.get(reverse("search"), {"q": "oat milk", "postcode": "10117"})
    client.get(reverse("search"), {"q": "rye"})  # found: not a demand signal
    client.get(reverse("search"), {"q": "rye", "price_min": "100"})  # sold, just not so dear
    unmet = list(UnmetSearch.objects.order_by("pk").values("term", "area"))
    assert unmet == [{"term": "oat milk", "area": ""}, {"term": "oat milk", "area": "10117"}]
    field_names = {field.name for field in UnmetSearch._meta.get_fields()}
    assert not field_names & {"user", "session", "ip", "ip_address"}


def test_htmx_requests_get_only_the_search_fragment(client):
    ProductFactory(title="Rye loaf")
    response = client.get(reverse("search"), {"q": "rye"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="search-page"' in body and "Rye loaf" in body
    assert "<html" not in body and "site-header" not in body


@pytest.mark.parametrize("count", [1, 24])
def test_search_page_queries_do_not_grow_with_results(client, django_assert_max_num_queries, count):
    shop = ShopFactory()
    for n in range(count):
        ProductFactory(shop=shop, title=f"Loaf {n}")
    client.get(reverse("search"), {"q": "rolls"})  # the node's synonyms are cached from then on
    # Fixed: session/user-free page: pagination count + page + photos prefetch + filters.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("search"), {"q": "loaf"})
    assert response.content.decode().count('class="card product-card"') == count


@pytest.mark.parametrize("count", [1, 24])
def test_shop_page_queries_do_not_grow_with_products(client, django_assert_num_queries, count):
    shop = ShopFactory()
    OpeningHoursFactory(shop=shop)
    for n in range(count):
        ProductFactory(shop=shop, title=f"Loaf {n}")
    # 7 for the shop and its products, 2 for its news and coming events, 1 for its presales.
    with django_assert_num_queries(10):
        response = client.get(shop.get_absolute_url())
    assert len(response.context["page"].object_list) == count


# Photos -------------------------------------------------------------------------------------


def picture_with_location(fmt="JPEG", size=(640, 480)) -> io.BytesIO:
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 0.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, exif=exif)
    buffer.seek(0)
    buffer.name = "photo.jpg"
    return buffer


def photo_url(product):
    return reverse("shops:product_photo_add", args=[product.shop_id, product.pk])


def test_a_shop_member_adds_a_photo_stored_without_metadata_with_a_thumbnail(
    client, shop, member_of_shop, django_capture_on_commit_callbacks
):
    product = ProductFactory(shop=shop)
    client.force_login(member_of_shop)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            photo_url(product), {"image": picture_with_location(), "alt_text": "A loaf"}
        )
    assert response.status_code == 302
    photo = ProductPhoto.objects.get(product=product)
    with photo.image.open("rb") as stored:
        image = Image.open(stored)
        assert image.size == (640, 480)
        assert not image.getexif()
        assert b"SecretCam" not in stored.read()
    assert photo.thumbnail
    with photo.thumbnail.open("rb") as thumb:
        assert max(Image.open(thumb).size) <= 480


@pytest.mark.parametrize(
    "upload, message",
    [
        (io.BytesIO(b"%PDF-1.4 not a picture"), "not a picture"),
        (io.BytesIO(b"\xff\xd8\xff\xe0 broken jpeg"), "not a picture"),
    ],
)
def test_non_images_are_refused_with_a_message(client, shop, member_of_shop, upload, message):
    upload.name = "evil.jpg"
    product = ProductFactory(shop=shop)
    client.force_login(member_of_shop)
    response = client.post(photo_url(product), {"image": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ProductPhoto.objects.exists()


def test_oversized_pictures_are_refused(client, shop, member_of_shop, settings):
    settings.PRODUCT_PHOTO_MAX_BYTES = 1024
    product = ProductFactory(shop=shop)
    client.force_login(member_of_shop)
    response = client.post(photo_url(product), {"image": picture_with_location()})
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not ProductPhoto.objects.exists()


def test_people_outside_the_shop_cannot_add_photos(client, shop, member_of_shop):
    from marketplace.tests.factories import UserFactory

    product = ProductFactory(shop=shop)
    other_shop_product = ProductFactory()
    assert client.get(photo_url(product)).status_code == 302  # anonymous: log in first
    client.force_login(UserFactory())
    assert client.get(photo_url(product)).status_code == 404
    assert client.post(photo_url(product), {"image": picture_with_location()}).status_code == 404
    client.force_login(member_of_shop)
    # A member of shop A naming shop A's id with shop B's product, or shop B's id: 404.
    mixed = reverse("shops:product_photo_add", args=[shop.pk, other_shop_product.pk])
    assert client.get(mixed).status_code == 404
    assert client.get(photo_url(other_shop_product)).status_code == 404
    assert not ProductPhoto.objects.exists()


def test_a_thumbnail_lost_to_a_broker_outage_is_made_by_the_outbox_sweep(shop):
    import datetime

    from django.db import transaction
    from django.utils import timezone

    from marketplace import outbox
    from shops import services

    product = ProductFactory(shop=shop)
    upload = picture_with_location()
    upload.size = len(upload.getvalue())
    # Committed, but the relay to the broker never ran: the thumbnail work was "lost".
    with transaction.atomic():
        photo = services.product_photo_add(product=product, upload=upload)
    assert not photo.thumbnail
    assert outbox.outbox_sweep(now=timezone.now() + datetime.timedelta(minutes=1)) == 1
    photo.refresh_from_db()
    assert photo.thumbnail
    assert outbox.outbox_sweep(now=timezone.now() + datetime.timedelta(minutes=2)) == 0
