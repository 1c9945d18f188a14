"""A shop owner imports a CSV with one bad row, fixes it, applies it and sees the products."""

import pytest
from playwright.sync_api import expect

from shops.models import Product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_import_a_csv_fix_the_bad_row_apply_and_see_the_products(page, demo_town, tmp_path):
    base = demo_town.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill("baker@lindenfeld.example")
    page.get_by_label("Password").fill("commonplace-demo")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("button", name="Menu").click()  # the phone's menu
    page.get_by_role("link", name="My shop").click()
    page.get_by_role("button", name="Shop menu").click()
    page.get_by_role("link", name="Import and export").click()

    bad = tmp_path / "new-breads.csv"
    bad.write_text(
        "sku,title,price,stock_quantity\n"
        "NEW-1,Fig and walnut loaf,5.40,8\n"
        "NEW-2,Olive ciabatta,two euros,6\n",
        encoding="utf-8",
    )
    page.get_by_label("Product file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("1 problem to fix")).to_be_visible()
    expect(page.get_by_role("cell", name="“two euros” is not a price.")).to_be_visible()
    expect(page.get_by_role("button", name="Apply these changes")).to_have_count(0)
    assert not Product.objects.filter(sku__startswith="NEW-").exists()

    good = tmp_path / "new-breads-fixed.csv"
    good.write_text(bad.read_text().replace("two euros", "2.80"), encoding="utf-8")
    page.get_by_role("link", name="Upload the fixed file").click()
    page.get_by_label("Product file").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("definition").filter(has_text="2")).to_have_count(2)
    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_text("All rows are applied.")).to_be_visible()
    page.get_by_role("link", name="See your products").click()
    page.get_by_label("Search title or SKU").fill("NEW-")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_role("link", name="Fig and walnut loaf")).to_be_visible()
    expect(page.get_by_role("link", name="Olive ciabatta")).to_be_visible()
