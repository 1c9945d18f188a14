"""Delivery jobs from ready orders to the customer's door."""

import pytest
from django.urls import reverse

from logistics import services
from logistics.exceptions import JobRefused, JobTaken
from logistics.models import DeliveryJob
from marketplace.tests.factories import UserFactory

from .factories import collective, courier, delivering_shop, delivery_purchase, make_ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def riders():
    return collective()


def test_ready_orders_of_one_purchase_to_one_address_become_one_job(riders):
    bakery, grocer = delivering_shop(riders, name="Bakery"), delivering_shop(riders, name="Grocer")
    purchase = delivery_purchase([bakery, grocer])
    make_ready(purchase)
    job = DeliveryJob.objects.get()
    assert job.status == "open" and job.pickups.count() == 2
    assert job.fee.amount == sum(o.delivery_fee.amount for o in purchase.orders.all())
    assert job.courier_pay.amount > 0 and job.distance_km > 0
    assert job.drop_area == "Linden Avenue, 10117"


def test_the_whole_flow_moves_the_orders_along(riders):
    shop = delivering_shop(riders)
    purchase = delivery_purchase([shop])
    make_ready(purchase)
    job = DeliveryJob.objects.get()
    rider = courier(riders)
    services.job_claim(job_id=job.pk, courier=rider)
    order = purchase.orders.get()
    with pytest.raises(JobRefused):
        services.job_pick_up(job_id=job.pk, courier=rider, code="WRONG")
    services.job_pick_up(job_id=job.pk, courier=rider, code=order.pickup_code)
    order.refresh_from_db()
    assert order.status == "out_for_delivery"
    with pytest.raises(JobRefused):
        services.job_deliver(
            job_id=job.pk, courier=rider, code="0000" if job.delivery_code != "0000" else "1111"
        )
    job.refresh_from_db()
    services.job_deliver(job_id=job.pk, courier=rider, code=job.delivery_code)
    order.refresh_from_db()
    job.refresh_from_db()
    assert job.status == "delivered" and order.status == "delivered"
    assert list(job.events.values_list("to_status", flat=True)) == [
        "open",
        "claimed",
        "picked_up",
        "delivered",
    ]


def test_claims_respect_shift_capacity_and_collective(riders):
    shop = delivering_shop(riders)
    make_ready(delivery_purchase([shop]))
    job = DeliveryJob.objects.get()
    with pytest.raises(JobRefused, match="shift"):
        services.job_claim(job_id=job.pk, courier=courier(riders, on_shift=False))
    with pytest.raises(JobRefused, match="carries"):
        services.job_claim(job_id=job.pk, courier=courier(riders, capacity_kg=0))
    with pytest.raises(JobRefused, match="No such job"):
        services.job_claim(job_id=job.pk, courier=courier(collective(slug="other", name="O")))
    first = courier(riders)
    services.job_claim(job_id=job.pk, courier=first)
    with pytest.raises(JobTaken):
        services.job_claim(job_id=job.pk, courier=courier(riders))
    job.refresh_from_db()
    assert job.courier == first


def test_giving_back_and_problems(riders):
    shop = delivering_shop(riders)
    purchase = delivery_purchase([shop])
    make_ready(purchase)
    job = DeliveryJob.objects.get()
    rider = courier(riders)
    services.job_claim(job_id=job.pk, courier=rider)
    with pytest.raises(JobRefused):
        services.job_unclaim(job_id=job.pk, courier=rider, reason=" ")
    services.job_unclaim(job_id=job.pk, courier=rider, reason="Flat tyre")
    job.refresh_from_db()
    assert job.status == "open" and job.courier is None
    services.job_claim(job_id=job.pk, courier=rider)
    order = purchase.orders.get()
    services.job_pick_up(job_id=job.pk, courier=rider, code=order.pickup_code)
    services.job_report_problem(job_id=job.pk, courier=rider, note="Nobody home, no safe place")
    order.refresh_from_db()
    job.refresh_from_db()
    assert job.status == "returned" and order.status == "ready"


def test_before_claiming_couriers_see_only_the_area(client, riders):
    shop = delivering_shop(riders)
    make_ready(delivery_purchase([shop]))
    rider = courier(riders)
    client.force_login(rider.user)
    page = client.get(reverse("logistics:open_jobs")).content.decode()
    assert "Linden Avenue, 10117" in page
    assert "Linden Avenue 3" not in page and "Chris Customer" not in page


def test_every_courier_url_refuses_the_wrong_person(client, riders):
    shop = delivering_shop(riders)
    purchase = delivery_purchase([shop])
    make_ready(purchase)
    job = DeliveryJob.objects.get()
    owner = courier(riders)
    services.job_claim(job_id=job.pk, courier=owner)
    other = courier(riders)
    client.force_login(other.user)
    assert client.get(reverse("logistics:job", args=[job.pk])).status_code == 404
    for action in ("pickup", "deliver", "unclaim", "problem"):
        client.post(
            reverse("logistics:job_action", args=[job.pk, action]),
            {"code": purchase.orders.get().pickup_code, "reason": "mine now"},
        )
    job.refresh_from_db()
    assert job.status == "claimed" and job.courier == owner
    client.force_login(UserFactory())  # not a courier at all
    assert client.get(reverse("logistics:open_jobs")).status_code == 404
    assert client.post(reverse("logistics:job_claim", args=[job.pk])).status_code == 404


def test_personal_data_of_old_jobs_is_removed(riders):
    import datetime

    from django.utils import timezone

    shop = delivering_shop(riders)
    purchase = delivery_purchase([shop])
    make_ready(purchase)
    job = DeliveryJob.objects.get()
    rider = courier(riders)
    services.job_claim(job_id=job.pk, courier=rider)
    services.job_pick_up(job_id=job.pk, courier=rider, code=purchase.orders.get().pickup_code)
    services.job_deliver(job_id=job.pk, courier=rider, code=job.delivery_code)
    assert services.delivery_personal_data_purge() == 0
    DeliveryJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=40)
    )
    assert services.delivery_personal_data_purge() == 1
    job.refresh_from_db()
    assert (job.recipient_name, job.recipient_phone, job.drop_street) == ("", "", "Linden Avenue")
    assert job.courier_pay.amount > 0 and job.distance_km > 0


def test_an_e_cargo_bike_does_not_take_jobs_beyond_its_range(riders):
    from decimal import Decimal

    make_ready(delivery_purchase([delivering_shop(riders)]))
    job = DeliveryJob.objects.get()
    DeliveryJob.objects.filter(pk=job.pk).update(distance_km=Decimal("12"))
    with pytest.raises(JobRefused, match="battery"):
        services.job_claim(job_id=job.pk, courier=courier(riders, range_km=Decimal("10")))
    services.job_claim(job_id=job.pk, courier=courier(riders, range_km=Decimal("30")))


def test_my_route_lists_every_pickup_before_its_drop_off(client, riders):
    first, second = delivering_shop(riders, name="Bakery"), delivering_shop(riders, name="Grocer")
    make_ready(delivery_purchase([first]))
    make_ready(delivery_purchase([second]))
    rider = courier(riders)
    for job in DeliveryJob.objects.all():
        services.job_claim(job_id=job.pk, courier=rider)
    client.force_login(rider.user)
    response = client.get(reverse("logistics:route"))
    stops = response.context["stops"]
    assert len(stops) == 4
    seen = set()
    for stop, job, _shop in stops:
        if stop.kind == "drop":
            assert job.pk in seen
        seen.add(job.pk)
    assert response.context["km"] > 0 and response.context["minutes"] > 0


def test_loads_come_from_product_weights_and_bulky_rides_cost_more(riders):
    from decimal import Decimal

    from djmoney.money import Money

    from logistics.loads import goods_load
    from orders import services as order_services
    from orders.services.checkout import DeliveryAddress
    from orders.tests.factories import cart_with, delivery_choices, pickup_request
    from shops.tests.factories import ProductFactory

    riders.medium_surcharge = Money("1.50", "EUR")
    riders.save()
    shop = delivering_shop(riders)
    crate = ProductFactory(
        shop=shop,
        unit="piece",
        weight_kg=Decimal("4"),
        volume_litres=Decimal("20"),
        stock_quantity=10,
    )
    assert goods_load(crate, 2) == (Decimal("8"), Decimal("40"))
    address = DeliveryAddress("Linden Avenue 3", "10117", "Lindenfeld", 52.5170, 13.3790)

    def fee_for(quantity):
        cart = cart_with([(crate, quantity)])
        request = pickup_request([shop], choices=delivery_choices([shop]), address=address)
        purchase = order_services.checkout_place(cart=cart, customer=cart.user, request=request)
        return purchase.orders.get()

    small, bulky = fee_for("1"), fee_for("2")
    assert bulky.delivery_fee.amount - small.delivery_fee.amount == Decimal("1.50")
    for status in ("accepted", "ready"):
        order_services.order_transition(order=bulky, to_status=status)
    job = DeliveryJob.objects.get()
    assert (job.weight_kg, job.volume_litres) == (Decimal("8"), Decimal("40"))
