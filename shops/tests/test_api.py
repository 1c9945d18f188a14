"""The inventory API: tokens, products by SKU, batches, stock and orders."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from djmoney.money import Money

from marketplace.tests.factories import UserFactory
from orders import services as order_services
from orders.tests.factories import cart_with, open_shop, pickup_request
from shops import services
from shops.models import ApiToken, Product

from .factories import ProductFactory, ShopFactory, ShopMembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return ShopFactory()


@pytest.fixture
def token(shop):
    _token, secret = services.api_token_create(shop=shop, name="Till", user=None)
    return secret


def call(client, method, url, secret=None, body=None):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(url, data=data, content_type="application/json", headers=headers)


def url(name, shop, *args):
    return reverse(f"api:{name}", args=[shop.pk, *args])


def test_tokens_are_shown_once_stored_hashed_and_revocable(client, shop):
    stored, secret = services.api_token_create(shop=shop, name="Till", user=None)
    assert secret.startswith(stored.prefix) and secret not in stored.token_hash
    assert call(client, "get", url("products", shop), secret).status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None
    services.api_token_revoke(token=stored)
    response = call(client, "get", url("products", shop), secret)
    assert response.status_code == 401 and "results" not in response.json()


def test_missing_unknown_and_other_shops_tokens_get_no_data(client, shop, token):
    other = ShopFactory()
    ProductFactory(shop=shop)
    assert call(client, "get", url("products", shop)).status_code == 401
    assert call(client, "get", url("products", shop), "cp_nothing_real").status_code == 401
    response = call(client, "get", url("products", other), token)
    assert response.status_code == 403 and "results" not in response.json()
    response = call(client, "put", url("product", other, "X"), token, {"title": "A", "price": 1})
    assert response.status_code == 403 and not Product.objects.filter(sku="X").exists()


def test_put_creates_then_updates_a_product_by_sku(client, shop, token):
    created = call(
        client,
        "put",
        url("product", shop, "RYE-1"),
        token,
        {"title": "Rye loaf", "price": "3.20", "stock_quantity": 12},
    )
    assert created.status_code == 201 and created.json()["price"] == "3.20"
    updated = call(
        client, "put", url("product", shop, "RYE-1"), token, {"title": "Rye loaf", "price": 3.5}
    )
    assert updated.status_code == 200
    product = Product.objects.get(shop=shop, sku="RYE-1")
    assert product.price == Money("3.50", "EUR") and product.stock_quantity == 12


def test_a_batch_with_one_bad_item_is_refused_whole_with_that_items_error(client, shop, token):
    ProductFactory(shop=shop, sku="KEEP", title="Keep", price=Money("1.00", "EUR"))
    items = [{"sku": f"N{n}", "title": f"New {n}", "price": "1.00"} for n in range(5)]
    items.append({"sku": "KEEP", "title": "Changed", "price": "2.00"})
    items.append({"sku": "BAD", "title": "Bad", "price": "free"})
    response = call(client, "post", url("products_batch", shop), token, {"products": items})
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"index": 6, "field": "price", "message": "“free” is not a price."}
    ]
    assert Product.objects.filter(shop=shop).count() == 1
    assert Product.objects.get(sku="KEEP").title == "Keep"
    items[-1]["price"] = "0.50"
    response = call(client, "post", url("products_batch", shop), token, {"products": items})
    assert response.json() == {"created": 6, "updated": 1, "unchanged": 0}
    again = call(client, "post", url("products_batch", shop), token, {"products": items})
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 7}


@pytest.mark.parametrize(
    "body",
    [
        None,
        "not a list",
        {"products": []},
        {"products": "x"},
        {"products": [1]},
        {"products": [{"sku": "A", "title": "A", "price": 1, "colour": "red"}]},
        {"products": [{"sku": "A"}] * 1001},
    ],
)
def test_malformed_batches_get_a_clear_400(client, shop, token, body):
    response = call(client, "post", url("products_batch", shop), token, body)
    assert response.status_code == 400 and response.json()["error"]
    assert not Product.objects.exists()


def test_not_json_is_a_400(client, shop, token):
    response = client.post(
        url("products_batch", shop),
        data="{oops",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400 and "JSON" in response.json()["error"]


def test_stock_is_set_or_changed_all_or_nothing(client, shop, token):
    ProductFactory(shop=shop, sku="A", stock_quantity=5)
    ProductFactory(shop=shop, sku="B", stock_quantity=2)
    response = call(
        client,
        "post",
        url("stock", shop),
        token,
        {"changes": [{"sku": "A", "delta": -2}, {"sku": "B", "set": 10}]},
    )
    assert response.status_code == 200
    assert dict(Product.objects.values_list("sku", "stock_quantity")) == {
        "A": Decimal("3"),
        "B": Decimal("10"),
    }
    refused = call(
        client,
        "post",
        url("stock", shop),
        token,
        {"changes": [{"sku": "A", "delta": 1}, {"sku": "B", "delta": -11}, {"sku": "Z", "set": 1}]},
    )
    assert refused.status_code == 400
    assert [d["index"] for d in refused.json()["details"]] == [1, 2]
    assert dict(Product.objects.values_list("sku", "stock_quantity")) == {
        "A": Decimal("3"),
        "B": Decimal("10"),
    }


def test_products_are_paged_and_filtered_by_update_time(client, shop, token):
    for n in range(105):
        ProductFactory(shop=shop, sku=f"S{n:03d}")
    first = call(client, "get", url("products", shop), token).json()
    assert len(first["results"]) == 100 and first["next"]
    second = client.get(first["next"], headers={"Authorization": f"Bearer {token}"}).json()
    assert len(second["results"]) == 5 and second["next"] is None
    later = call(
        client, "get", url("products", shop) + "?updated_since=2999-01-01T00:00:00Z", token
    ).json()
    assert later["results"] == []
    assert (
        call(client, "get", url("products", shop) + "?updated_since=yesterday", token).status_code
        == 400
    )


def test_orders_since_a_time(client, token, shop):
    shop = open_shop()
    _stored, secret = services.api_token_create(shop=shop, name="Till", user=None)
    cart = cart_with([(ProductFactory(shop=shop, sku="RYE"), "2")])
    order_services.checkout_place(cart=cart, customer=cart.user, request=pickup_request([shop]))
    orders = call(client, "get", url("orders", shop), secret).json()["results"]
    assert orders[0]["lines"] == [
        {
            "sku": "RYE",
            "title": orders[0]["lines"][0]["title"],
            "quantity": "2",
            "unit_price": "4.50",
        }
    ]


def test_tokens_are_rate_limited(client, shop, token, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    statuses = [call(client, "get", url("products", shop), token).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]


def test_the_openapi_document_describes_every_endpoint(client):
    document = client.get(reverse("api:openapi")).json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {
        "/api/v1/shops/{shop_id}/products",
        "/api/v1/shops/{shop_id}/products/{sku}",
        "/api/v1/shops/{shop_id}/products/batch",
        "/api/v1/shops/{shop_id}/stock",
        "/api/v1/shops/{shop_id}/orders",
    }


def test_owners_make_and_revoke_tokens_and_staff_cannot(client, shop):
    owner, staff = UserFactory(), UserFactory()
    ShopMembershipFactory(shop=shop, user=owner, role="owner")
    ShopMembershipFactory(shop=shop, user=staff, role="staff")
    client.force_login(staff)
    assert client.get(reverse("dashboard:api_tokens", args=[shop.pk])).status_code == 404
    client.force_login(owner)
    page = client.post(reverse("dashboard:api_tokens", args=[shop.pk]), {"name": "Till"})
    secret = page.context["new_secret"]
    assert secret in page.content.decode()
    stored = ApiToken.objects.get()
    assert (
        secret not in client.get(reverse("dashboard:api_tokens", args=[shop.pk])).content.decode()
    )
    client.force_login(staff)
    revoke = reverse("dashboard:api_token_revoke", args=[shop.pk, stored.pk])
    assert client.post(revoke).status_code == 404
    client.force_login(owner)
    client.post(revoke)
    stored.refresh_from_db()
    assert not stored.is_active
