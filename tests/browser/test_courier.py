"""The README's delivery walk on phones (390×844), each person in their own browser: the
customer orders with delivery, the baker accepts and marks it ready, the courier starts a
shift, takes the job, reads the bakery's code off the bakery's order page and types it,
then delivers with the code on the customer's order page, and the customer sees it
delivered. Also: confirmations made offline, and the courier's camera scanning the QR code
on the shop's screen (Chromium's fake camera playing a film of it). Every code is read from
a page, as a person would; none from the database."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from shops.models import OpeningHours, Product, Shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "en-US", "has_touch": True}


def log_in(page, base, email):
    """Log `page` in as `email` (other browser tests use this too)."""
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("commonplace-demo")
    page.get_by_role("button", name="Sign In").click()


def phone(browser, base, email):
    """A new phone, logged in as `email`."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, base, email)
    expect(page.get_by_role("button", name="Sign In")).to_have_count(0)
    return page


def open_all_day(shop):
    # The walk must not depend on the hour the suite runs at: the bakery is open now.
    shop.closures.all().delete()
    OpeningHours.objects.filter(shop=shop).delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(
            shop=shop, weekday=day, opens=datetime.time(0, 0), closes=datetime.time(23, 59)
        )
        for day in range(7)
    )


def test_the_delivery_walk_from_the_readme(browser, demo_town):
    base = demo_town.url
    bakery = Shop.objects.get(slug="lindenfeld-sourdough-bakery")
    open_all_day(bakery)
    bread = (
        Product.objects.filter(shop=bakery, stock_quantity__gte=1, unit="piece", is_active=True)
        .order_by("pk")
        .first()
    )

    # The customer orders bread with same-day delivery.
    customer = phone(browser, base, "customer@lindenfeld.example")
    customer.goto(f"{base}{bread.get_absolute_url()}")
    customer.get_by_role("button", name="Add to cart").click()
    expect(customer.get_by_text("is in your cart")).to_be_visible()
    customer.goto(f"{base}/cart/")
    customer.get_by_role("link", name="Go to checkout").click()
    customer.get_by_role("group", name=bakery.name).get_by_label("Delivery by bike").check()
    customer.get_by_label("Street and number").fill("Market Street 20")
    customer.get_by_label("Postcode").fill("10117")
    customer.get_by_label("City").fill("Lindenfeld")
    customer.get_by_label("Pay at pickup or on delivery").check()
    customer.get_by_role("button", name="Place order").click()
    expect(customer.get_by_text("Check the pin on the map")).to_be_visible()
    customer.get_by_role("button", name="Place order").click()
    expect(customer.get_by_role("heading", name=re.compile("Your purchase"))).to_be_visible()
    purchase_url = customer.url

    # The baker accepts and marks it ready: the order page shows the code for the courier.
    baker = phone(browser, base, "baker@lindenfeld.example")
    baker.goto(f"{base}/shop-orders/{bakery.pk}/")
    baker.get_by_role("link", name=re.compile(r"^\d{6}-")).first.click()
    order_url = baker.url
    baker.get_by_role("button", name="Accept").click()
    expect(baker.get_by_text(": Accepted.")).to_be_visible()
    baker.get_by_role("button", name="Mark ready").click()
    expect(baker.get_by_text(": Ready.")).to_be_visible()
    handover = baker.get_by_role("region", name="Handover to the courier")
    expect(handover).to_contain_text("Waiting for a courier")
    expect(handover.get_by_role("img", name="QR code for the courier to scan")).to_be_visible()
    # Nobody has the job yet, so the baker cannot hand it to a courier.
    expect(baker.get_by_role("button", name="Handed to courier")).to_have_count(0)

    # The courier starts a shift and takes the job.
    courier = phone(browser, base, "courier@lindenfeld.example")
    courier.goto(f"{base}/couriers/")
    courier.get_by_role("button", name="Start my shift").click()
    expect(courier.get_by_text("You are on shift. Ride safely!")).to_be_visible()
    courier.get_by_role("link", name="Jobs", exact=True).first.click()
    card = courier.get_by_role("listitem").filter(has_text="Market Street, 10117")
    card.get_by_role("button", name="Take this job").click()
    expect(courier.get_by_text("The job is yours.")).to_be_visible()

    # At the counter the baker's page names the courier and shows the code, large.
    baker.goto(order_url)
    expect(handover).to_contain_text("Kim picks it up")
    shop_code = handover.get_by_label("Code for the courier", exact=True).inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{6}", shop_code)

    courier.get_by_label("Shop's code for the order").fill(shop_code)
    courier.get_by_role("button", name="Picked up").click()
    expect(courier.get_by_text("Picked up.", exact=True)).to_be_visible()

    baker.reload()
    expect(baker.get_by_role("heading", level=1)).to_contain_text("Out for delivery")
    expect(baker.get_by_role("region", name="Handover to the courier")).to_have_count(0)
    expect(baker.get_by_role("button", name="Mark delivered")).to_have_count(0)

    # At the door the customer reads out the code from their order page.
    customer.goto(purchase_url)
    expect(customer.get_by_text("Kim brings it")).to_be_visible()
    said = customer.get_by_text("Your delivery code, for the courier:").inner_text()
    delivery_code = re.search(r"(\d{4,8})", said).group(1)
    courier.get_by_label("Customer's delivery code").fill(delivery_code)
    courier.get_by_role("button", name="Delivered").click()
    expect(courier.get_by_text("Delivered. Thank you!")).to_be_visible()

    customer.reload()
    expect(customer.get_by_text("Delivered", exact=True).first).to_be_visible()
    expect(customer.get_by_text("Your delivery code, for the courier:")).to_have_count(0)
    for page in (customer, baker, courier):
        page.context.close()


def ready_on_a_job_of_the_demo_courier():
    """A bakery delivery order, ready, on a job the demo courier holds (set up directly)."""
    from logistics import services as logistics
    from logistics.models import Courier
    from orders import services as order_services
    from orders.services.checkout import DeliveryAddress
    from orders.tests.factories import cart_with, delivery_choices, pickup_request

    bakery = Shop.objects.get(slug="lindenfeld-sourdough-bakery")
    bread = Product.objects.filter(shop=bakery, stock_quantity__gte=1, unit="piece").first()
    request = pickup_request(
        [bakery],
        choices=delivery_choices([bakery]),
        address=DeliveryAddress(
            "Market Street 20", "10117", "Lindenfeld", bakery.latitude + 0.002, bakery.longitude
        ),
    )
    purchase = order_services.checkout_place(
        cart=cart_with([(bread, "1")]), customer=None, request=request
    )
    order = purchase.orders.get()
    for status in ("accepted", "ready"):
        order_services.order_transition(order=order, to_status=status)
    rider = Courier.objects.get(user__email="courier@lindenfeld.example")
    logistics.courier_shift_set(courier=rider, on_shift=True)
    job = logistics.job_claim(job_id=order.pickup.job_id, courier=rider)
    return bakery, order, job


def test_offline_confirmations_tell_the_truth_and_go_once(browser, demo_town):
    base = demo_town.url
    bakery, order, job = ready_on_a_job_of_the_demo_courier()
    courier = phone(browser, base, "courier@lindenfeld.example")
    courier.goto(f"{base}/couriers/jobs/{job.pk}/")
    sent = []
    courier.on(
        "request",
        lambda request: (
            sent.append(request.url)
            if request.method == "POST" and request.url.endswith("/pickup/")
            else None
        ),
    )

    # In a cellar without signal the courier types a code, wrongly.
    courier.context.set_offline(True)
    courier.get_by_label("Shop's code for the order").fill("QQQQQQ")
    courier.get_by_role("button", name="Picked up").click()
    expect(
        courier.get_by_text("Saved offline; it is sent when you are back online.")
    ).to_be_visible()
    queue = courier.get_by_role("region", name="Confirmations made offline")
    expect(queue).to_contain_text(f"Pickup for job {job.pk}: Waiting for a connection")

    # Back online, and the browser says so more than once: the queue goes once, and the
    # server's refusal stays on the phone with its reason.
    courier.context.set_offline(False)
    courier.evaluate("window.dispatchEvent(new Event('online'))")
    courier.evaluate("window.dispatchEvent(new Event('online'))")
    refusal = queue.get_by_role("alert")
    expect(refusal).to_contain_text("This code does not match a pickup of this job.")
    expect(queue).not_to_contain_text("Waiting for a connection")
    assert len(sent) == 1
    courier.reload()
    expect(refusal).to_contain_text(f"Pickup for job {job.pk}: Not accepted")

    # The courier asks the baker, whose order page shows the code, and tries again offline.
    baker = phone(browser, base, "baker@lindenfeld.example")
    baker.goto(f"{base}/shop-orders/{bakery.pk}/{order.pk}/")
    handover = baker.get_by_role("region", name="Handover to the courier")
    shop_code = handover.get_by_label("Code for the courier", exact=True).inner_text().strip()
    refusal.get_by_role("button", name="Dismiss").click()
    expect(queue).to_be_hidden()

    courier.context.set_offline(True)
    courier.get_by_label("Shop's code for the order").fill(shop_code)
    courier.get_by_role("button", name="Picked up").click()
    expect(queue).to_contain_text("Waiting for a connection")
    courier.context.set_offline(False)
    # Accepted: the page shows the job as the server now has it.
    expect(courier.get_by_text("Picked up.", exact=True)).to_be_visible()
    expect(courier.get_by_label("Customer's delivery code")).to_be_visible()
    assert len(sent) == 2
    baker.reload()
    expect(baker.get_by_role("heading", level=1)).to_contain_text("Out for delivery")
    for page in (courier, baker):
        page.context.close()


def _y4m_of(png: bytes, path, width=640, height=480, frames=5):
    """A camera film of one still picture (Chromium's fake camera plays Y4M files)."""
    import io

    from PIL import Image

    picture = Image.open(io.BytesIO(png)).convert("L")
    side = min(width, height) - 80
    picture = picture.resize((side, side), Image.NEAREST)
    frame = Image.new("L", (width, height), 255)
    frame.paste(picture, ((width - side) // 2, (height - side) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (width // 2 * height // 2)
    with open(path, "wb") as film:
        film.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            film.write(b"FRAME\n" + luma + chroma + chroma)


def test_the_courier_scans_the_code_off_the_shops_screen(browser, demo_town, tmp_path):
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    base = demo_town.url
    bakery, order, job = ready_on_a_job_of_the_demo_courier()
    baker = phone(browser, base, "baker@lindenfeld.example")
    baker.goto(f"{base}/shop-orders/{bakery.pk}/{order.pk}/")
    handover = baker.get_by_role("region", name="Handover to the courier")
    expect(handover).to_contain_text("Kim picks it up")
    film = tmp_path / "counter.y4m"
    _y4m_of(handover.get_by_role("img", name="QR code for the courier to scan").screenshot(), film)

    # The courier's phone has a camera that sees the baker's screen.
    camera_phone = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={film}",
        ],
    )
    try:
        context = camera_phone.new_context(**PHONE, permissions=["camera"])
        courier = context.new_page()
        courier.set_default_timeout(15_000)
        log_in(courier, base, "courier@lindenfeld.example")
        courier.goto(f"{base}/couriers/jobs/{job.pk}/")
        courier.get_by_role("button", name="Scan the shop's QR code").click()
        expect(courier.get_by_text("Picked up.", exact=True)).to_be_visible()
        expect(courier.get_by_label("Customer's delivery code")).to_be_visible()
    finally:
        camera_phone.close()
    baker.reload()
    expect(baker.get_by_role("heading", level=1)).to_contain_text("Out for delivery")
    baker.context.close()
