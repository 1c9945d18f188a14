"""A delivery order and its delivery job never disagree: what the shop is offered and what
order_transition allows follow the job (one rule, logistics.selectors.order_step_refusal)."""

import pytest
from django.urls import reverse

from logistics import services as logistics
from logistics.models import DeliveryJob, JobEvent
from logistics.tests.factories import (
    collective,
    courier,
    delivering_shop,
    delivery_purchase,
    make_ready,
)
from marketplace.tests.factories import UserFactory
from orders import services
from orders.exceptions import InvalidTransition
from orders.models import Order
from shops.tests.factories import ShopMembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def riders():
    return collective()


@pytest.fixture
def ready(riders):
    """A bakery's delivery order, ready, on an open job; the baker is a member of the shop."""
    shop = delivering_shop(riders, name="Bakery")
    baker = ShopMembershipFactory(shop=shop).user
    purchase = delivery_purchase([shop])
    make_ready(purchase)
    return purchase.orders.get(), baker


def fresh(order):
    return Order.objects.select_related("pickup__job__courier__user").get(pk=order.pk)


def test_handed_to_courier_is_not_offered_nor_allowed_while_no_courier_holds_the_job(ready):
    order, baker = ready
    assert services.shop_actions(fresh(order)) == ["cancelled"]
    with pytest.raises(InvalidTransition) as refused:
        services.order_transition(order=order, to_status="out_for_delivery", actor=baker)
    assert "No courier has taken" in str(refused.value.reason)
    order = fresh(order)
    assert order.status == "ready" and order.pickup.picked_up_at is None
    assert order.pickup.job.status == "open"


def test_the_shop_handing_over_to_the_courier_records_the_pickup_for_the_courier(ready, riders):
    order, baker = ready
    rider = courier(riders)
    job = logistics.job_claim(job_id=DeliveryJob.objects.get().pk, courier=rider)
    assert "out_for_delivery" in services.shop_actions(fresh(order))

    services.order_transition(order=order, to_status="out_for_delivery", actor=baker)

    order = fresh(order)
    job.refresh_from_db()
    assert order.status == "out_for_delivery"
    assert order.events.last().actor == baker
    assert order.pickup.picked_up_at is not None
    assert job.status == "picked_up" and job.picked_up_at == order.pickup.picked_up_at
    picked = JobEvent.objects.get(job=job, to_status="picked_up")
    assert picked.courier == rider


def test_the_courier_then_typing_the_same_code_changes_nothing(ready, riders):
    order, baker = ready
    rider = courier(riders)
    job = logistics.job_claim(job_id=DeliveryJob.objects.get().pk, courier=rider)
    services.order_transition(order=order, to_status="out_for_delivery", actor=baker)
    with pytest.raises(logistics.AlreadyDone, match="already picked up"):
        logistics.job_pick_up(job_id=job.pk, courier=rider, code=order.pickup_code)
    assert order.events.count() == 4  # placed, accepted, ready, out for delivery
    assert JobEvent.objects.filter(job=job, to_status="picked_up").count() == 1


def test_one_shop_handing_over_leaves_the_job_waiting_for_the_other_shop(riders):
    bakery, grocer = delivering_shop(riders, name="Bakery"), delivering_shop(riders, name="Grocer")
    purchase = delivery_purchase([bakery, grocer])
    make_ready(purchase)
    rider = courier(riders)
    job = logistics.job_claim(job_id=DeliveryJob.objects.get().pk, courier=rider)
    bread, veg = purchase.orders.order_by("pk")
    services.order_transition(order=bread, to_status="out_for_delivery")
    job.refresh_from_db()
    assert job.status == "claimed"
    logistics.job_pick_up(job_id=job.pk, courier=rider, code=veg.pickup_code)
    job.refresh_from_db()
    assert job.status == "picked_up"
    assert set(purchase.orders.values_list("status", flat=True)) == {"out_for_delivery"}


def test_only_the_courier_marks_a_courier_held_order_delivered(ready, riders):
    order, baker = ready
    rider = courier(riders)
    job = logistics.job_claim(job_id=DeliveryJob.objects.get().pk, courier=rider)
    logistics.job_pick_up(job_id=job.pk, courier=rider, code=order.pickup_code)
    assert services.shop_actions(fresh(order)) == []
    with pytest.raises(InvalidTransition) as refused:
        services.order_transition(order=order, to_status="delivered", actor=baker)
    assert "customer's code" in str(refused.value.reason)
    assert fresh(order).status == "out_for_delivery"
    job.refresh_from_db()
    logistics.job_deliver(job_id=job.pk, courier=rider, code=job.delivery_code)
    assert fresh(order).status == "delivered"


def test_cancelling_the_only_order_of_a_job_cancels_the_job_and_tells_the_courier(ready, riders):
    order, baker = ready
    rider = courier(riders)
    job = logistics.job_claim(job_id=DeliveryJob.objects.get().pk, courier=rider)
    services.order_transition(order=order, to_status="cancelled", actor=baker)
    job.refresh_from_db()
    assert fresh(order).status == "cancelled" and not hasattr(fresh(order), "pickup")
    assert job.status == "cancelled" and job.pickups.count() == 0
    from logistics.selectors import jobs_called_off

    told = list(jobs_called_off(courier=rider))
    assert told == [job]
    assert f"called off order {order.number}" in told[0].why[0].note


def test_cancelling_one_of_two_orders_takes_its_pickup_and_fee_off_the_job(riders):
    bakery, grocer = delivering_shop(riders, name="Bakery"), delivering_shop(riders, name="Grocer")
    purchase = delivery_purchase([bakery, grocer])
    make_ready(purchase)
    rider = courier(riders)
    job = logistics.job_claim(job_id=DeliveryJob.objects.get().pk, courier=rider)
    fee_before = job.fee
    bread, veg = purchase.orders.order_by("pk")
    logistics.job_pick_up(job_id=job.pk, courier=rider, code=bread.pickup_code)

    services.order_transition(order=veg, to_status="cancelled")

    job.refresh_from_db()
    assert [p.order_id for p in job.pickups.all()] == [bread.pk]
    assert job.fee == fee_before - veg.delivery_fee
    # The bakery's bread is already on the bike: the ride goes on to the customer.
    assert job.status == "picked_up" and job.courier == rider
    assert job.events.filter(note__contains="Grocer called off").exists()


def test_a_shop_that_left_its_couriers_delivers_itself(riders):
    shop = delivering_shop(riders, name="Farm")
    purchase = delivery_purchase([shop])
    type(shop).objects.filter(pk=shop.pk).update(delivery_collective=None)
    make_ready(purchase)
    order = purchase.orders.get()
    assert not DeliveryJob.objects.exists()
    assert services.shop_actions(order) == ["out_for_delivery", "cancelled"]
    services.order_transition(order=order, to_status="out_for_delivery")
    assert services.shop_actions(fresh(order)) == ["delivered"]
    services.order_transition(order=order, to_status="delivered")
    assert fresh(order).status == "delivered"


def test_goods_brought_back_by_the_courier_can_go_out_again_from_the_shop(ready, riders):
    order, baker = ready
    rider = courier(riders)
    job = logistics.job_claim(job_id=DeliveryJob.objects.get().pk, courier=rider)
    logistics.job_pick_up(job_id=job.pk, courier=rider, code=order.pickup_code)
    logistics.job_report_problem(job_id=job.pk, courier=rider, note="Nobody home")
    assert fresh(order).status == "ready"
    # The returned job is over: the shop delivers it itself now.
    assert "out_for_delivery" in services.shop_actions(fresh(order))


# The shop's pages


def test_the_order_page_shows_the_code_large_with_a_qr_code_and_the_couriers_name(
    client, ready, riders
):
    order, baker = ready
    client.force_login(baker)
    url = reverse("orders:shop_order", args=[order.shop_id, order.pk])
    page = client.get(url).content.decode()
    assert order.pickup_code in page and "<svg" in page
    assert "Waiting for a courier" in page and "Handed to courier" not in page

    rider = courier(riders, user=UserFactory(first_name="Kim"))
    logistics.job_claim(job_id=DeliveryJob.objects.get().pk, courier=rider)
    page = client.get(url).content.decode()
    assert "Kim picks it up" in page and "Handed to courier" in page

    client.post(
        reverse("orders:shop_order_transition", args=[order.shop_id, order.pk]),
        {"to_status": "out_for_delivery"},
    )
    page = client.get(url).content.decode()
    assert "Out for delivery" in page and order.pickup_code not in page


def test_handing_over_without_a_courier_tells_the_shop_why_and_changes_nothing(client, ready):
    order, baker = ready
    client.force_login(baker)
    response = client.post(
        reverse("orders:shop_order_transition", args=[order.shop_id, order.pk]),
        {"to_status": "out_for_delivery"},
        follow=True,
    )
    assert "No courier has taken this delivery yet" in response.content.decode()
    assert fresh(order).status == "ready"


def test_the_orders_list_costs_the_same_queries_for_one_and_many_handovers(
    client, riders, django_assert_num_queries
):
    shop = delivering_shop(riders, name="Bakery")
    baker = ShopMembershipFactory(shop=shop).user
    client.force_login(baker)
    url = reverse("orders:shop_orders", args=[shop.pk])

    def queries_for_list():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured), response.content.decode()

    make_ready(delivery_purchase([shop]))
    one, page = queries_for_list()
    assert page.count('class="handover"') == 1
    for _ in range(5):
        make_ready(delivery_purchase([shop]))
    for job in DeliveryJob.objects.all()[:3]:
        logistics.job_claim(job_id=job.pk, courier=courier(riders))
    many, page = queries_for_list()
    assert page.count('class="handover"') == 6
    assert many == one
