"""Product files: export → import changes nothing; bad files are refused row by row with
nothing applied; large files are applied by a worker with progress."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from djmoney.money import Money
from openpyxl import Workbook

from marketplace.tests.factories import UserFactory
from shops import services
from shops.models import Product, ProductImport

from .factories import (
    CategoryFactory,
    LabelFactory,
    ProductFactory,
    ShopFactory,
    ShopMembershipFactory,
)

pytestmark = pytest.mark.django_db
HEADER = "sku,title,price,vat_rate,unit,stock_quantity,labels,category"


@pytest.fixture
def shop_and_client(client):
    shop = ShopFactory()
    owner = UserFactory()
    ShopMembershipFactory(shop=shop, user=owner, role="owner")
    client.force_login(owner)
    return shop, client


def upload(client, shop, content: bytes, name="products.csv"):
    response = client.post(
        reverse("dashboard:import_start", args=[shop.pk]),
        {"file": SimpleUploadedFile(name, content)},
    )
    return ProductImport.objects.get(pk=response.url.rstrip("/").split("/")[-1])


def apply(client, shop, product_import):
    client.post(reverse("dashboard:import", args=[shop.pk, product_import.pk]))
    product_import.refresh_from_db()
    return product_import


def snapshot(shop):
    return sorted(
        (
            p.sku,
            p.title,
            p.price.amount,
            p.stock_quantity,
            p.category_id,
            p.is_active,
            tuple(sorted(p.labels.values_list("slug", flat=True))),
        )
        for p in Product.objects.filter(shop=shop)
    )


def test_a_new_file_is_previewed_then_applied(shop_and_client):
    shop, client = shop_and_client
    LabelFactory(slug="organic")
    CategoryFactory(slug="bread")
    ProductFactory(shop=shop, sku="RYE", title="Rye", price=Money("3.00", "EUR"))
    content = (
        f'{HEADER}\nRYE,Rye loaf,3.20,7,piece,12,organic,bread\nOAT,Oat milk,"1,90",7,litre,30,,\n'
    ).encode()
    product_import = upload(client, shop, content)
    assert product_import.status == "previewed"
    assert (product_import.to_create, product_import.to_update) == (1, 1)
    assert Product.objects.get(sku="RYE").title == "Rye"  # nothing applied yet
    assert apply(client, shop, product_import).status == "applied"
    rye, oat = Product.objects.get(sku="RYE"), Product.objects.get(sku="OAT")
    assert (rye.title, rye.price.amount, rye.category.path) == (
        "Rye loaf",
        Decimal("3.20"),
        "bread",
    )
    assert list(rye.labels.values_list("slug", flat=True)) == ["organic"]
    assert (oat.price.amount, oat.unit, oat.slug) == (Decimal("1.90"), "litre", "oat-milk")
    # Applying again (a double click) does nothing more.
    assert apply(client, shop, product_import).status == "applied"
    assert Product.objects.filter(shop=shop).count() == 2


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(shop_and_client, file_format):
    shop, client = shop_and_client
    organic = LabelFactory(slug="organic")
    bread = CategoryFactory(slug="bread")
    first = ProductFactory(
        shop=shop,
        sku="A1",
        title="Rye, “dark”; 1 kg",
        category=bread,
        stock_quantity=Decimal("2.5"),
        unit="kg",
        quantity_step=Decimal("0.1"),
        description="Line one\nline two",
    )
    first.labels.set([organic])
    ProductFactory(shop=shop, sku="B2", title="Oat milk", is_active=False, always_available=True)
    before = snapshot(shop)
    response = client.get(reverse("dashboard:export", args=[shop.pk, file_format]))
    assert response.status_code == 200
    product_import = upload(client, shop, response.content, name=f"export.{file_format}")
    assert product_import.status == "previewed", product_import.errors or product_import.message
    assert (product_import.to_create, product_import.to_update, product_import.unchanged) == (
        0,
        0,
        2,
    )
    apply(client, shop, product_import)
    assert snapshot(shop) == before


def test_semicolons_and_decimal_commas_from_german_spreadsheets_are_read(shop_and_client):
    shop, client = shop_and_client
    content = "sku;title;price;stock_quantity\nK1;Käse;12,50;3,5\n".encode("utf-8-sig")
    product_import = apply(client, shop, upload(client, shop, content))
    assert product_import.status == "applied"
    product = Product.objects.get(sku="K1")
    assert product.price.amount == Decimal("12.50") and product.stock_quantity == Decimal("3.5")


@pytest.mark.parametrize(
    "content, message",
    [
        ("sku,title,price\nK1,Käse,3.00\n".encode("latin-1"), "not UTF-8"),
        (b"sku,name\nK1,Cheese\n", "Columns missing: title, price"),
        (b"sku,title,price,colour\nK1,Cheese,3,red\n", "Unknown columns: colour"),
        (b"\n\n", "The file is empty"),
    ],
)
def test_unreadable_files_are_refused_with_the_reason(shop_and_client, content, message):
    shop, client = shop_and_client
    product_import = upload(client, shop, content)
    assert product_import.status == "refused" and message in product_import.message
    page = client.get(reverse("dashboard:import", args=[shop.pk, product_import.pk]))
    assert message in page.content.decode() and b"Apply these changes" not in page.content
    assert not Product.objects.exists()


def test_an_empty_upload_is_a_form_error(shop_and_client):
    shop, client = shop_and_client
    response = client.post(
        reverse("dashboard:import_start", args=[shop.pk]),
        {"file": SimpleUploadedFile("empty.csv", b"")},
    )
    assert response.status_code == 400 and "empty" in response.content.decode()
    assert not ProductImport.objects.exists()


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_applied(shop_and_client):
    shop, client = shop_and_client
    ProductFactory(shop=shop, sku="KEEP", title="Keep me", price=Money("1.00", "EUR"))
    content = (
        b"sku,title,price,unit,stock_quantity\n"
        b"KEEP,Changed title,2.00,piece,1\n"
        b"A,Apple,cheap,piece,1\n"
        b"B,Bread,-1,piece,1\n"
        b"C,Cheese,3.00,bucket,1\n"
        b"D,Dates,3.00,piece,-4\n"
        b"E,Eggs,3.00,piece,1\n"
        b"E,Eggs again,3.00,piece,1\n"
        b",No sku,3.00,piece,1\n"
    )
    product_import = upload(client, shop, content)
    assert product_import.status == "refused"
    problems = {(e["row"], e["column"]) for e in product_import.errors}
    assert problems == {
        (3, "price"),
        (4, "price"),
        (5, "unit"),
        (6, "stock_quantity"),
        (8, "sku"),
        (9, "sku"),
    }
    page = client.get(reverse("dashboard:import", args=[shop.pk, product_import.pk])).content
    assert b"is not a price" in page and b"The same SKU is also in row 7" in page
    # Trying to apply a refused import changes nothing either.
    apply(client, shop, product_import)
    assert Product.objects.get(sku="KEEP").title == "Keep me"
    assert Product.objects.filter(shop=shop).count() == 1


def test_a_spreadsheet_imports(shop_and_client):
    shop, client = shop_and_client
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["sku", "title", "price", "stock_quantity", "is_active"])
    sheet.append(["X1", "Bike bell", 7.5, 10, True])
    buffer = io.BytesIO()
    workbook.save(buffer)
    product_import = apply(client, shop, upload(client, shop, buffer.getvalue(), "shelf.xlsx"))
    assert product_import.status == "applied"
    assert Product.objects.get(sku="X1").price.amount == Decimal("7.50")


def test_a_large_file_is_applied_by_a_worker_with_progress(
    shop_and_client, monkeypatch, django_capture_on_commit_callbacks
):
    shop, client = shop_and_client
    monkeypatch.setattr(services.importing, "INLINE_ROWS", 10)
    rows = "\n".join(f"S{n:05d},Screw size {n},0.10,piece,{n}" for n in range(1, 51))
    product_import = upload(client, shop, f"sku,title,price,unit,stock_quantity\n{rows}\n".encode())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("dashboard:import", args=[shop.pk, product_import.pk]))
    product_import.refresh_from_db()
    assert product_import.status == "applying" and len(callbacks) == 1
    page = client.get(
        reverse("dashboard:import", args=[shop.pk, product_import.pk]),
        headers={"HX-Request": "true"},
    )
    assert b"<progress" in page.content and b'hx-trigger="every 1s"' in page.content
    callbacks[0]()  # the worker runs the task
    product_import.refresh_from_db()
    assert product_import.status == "applied"
    assert Product.objects.filter(shop=shop).count() == 50


def test_imports_of_another_shop_are_404(client, shop_and_client):
    shop, owner_client = shop_and_client
    product_import = upload(owner_client, shop, b"sku,title,price\nA,Apple,1\n")
    outsider = UserFactory()
    ShopMembershipFactory(shop=ShopFactory(), user=outsider)
    owner_client.force_login(outsider)
    for method, url in [
        ("get", reverse("dashboard:import", args=[shop.pk, product_import.pk])),
        ("post", reverse("dashboard:import", args=[shop.pk, product_import.pk])),
        ("get", reverse("dashboard:import_start", args=[shop.pk])),
        ("get", reverse("dashboard:export", args=[shop.pk, "csv"])),
    ]:
        assert getattr(owner_client, method)(url).status_code == 404
    product_import.refresh_from_db()
    assert product_import.status == "previewed" and not Product.objects.exists()
