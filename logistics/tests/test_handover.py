"""The courier's side of a handover: codes typed or scanned, wrong and reused codes,
confirmations sent again after an offline spell, the dispatcher moving lists, and shop and
courier acting at the same moment."""

import datetime
import json

import pytest
from django.urls import reverse

from logistics import services
from logistics.exceptions import AlreadyDone, JobRefused
from logistics.models import DeliveryJob, JobEvent
from marketplace.tests.concurrency import run_together
from marketplace.tests.factories import UserFactory
from orders import services as order_services
from orders.exceptions import InvalidTransition
from orders.models import Order, OrderEvent

from .factories import collective, courier, delivering_shop, delivery_purchase, make_ready

pytestmark = pytest.mark.django_db
REPLAY = {"HTTP_X_OFFLINE_REPLAY": "1"}


@pytest.fixture
def riders():
    return collective()


@pytest.fixture
def claimed(riders):
    """A ready delivery order on a job the courier has taken."""
    purchase = delivery_purchase([delivering_shop(riders)])
    make_ready(purchase)
    rider = courier(riders)
    job = services.job_claim(job_id=DeliveryJob.objects.get().pk, courier=rider)
    return purchase.orders.get(), job, rider


def test_a_wrong_code_is_refused_and_changes_nothing(claimed):
    order, job, rider = claimed
    with pytest.raises(JobRefused, match="does not match"):
        services.job_pick_up(job_id=job.pk, courier=rider, code="QQQQQQ")
    with pytest.raises(JobRefused, match="does not match"):
        services.job_pick_up(job_id=job.pk, courier=rider, code="   ")
    job.refresh_from_db()
    order.refresh_from_db()
    assert job.status == "claimed" and order.status == "ready"
    assert not job.pickups.exclude(picked_up_at=None).exists()


def test_another_orders_code_is_refused(riders, claimed):
    order, job, rider = claimed
    other = delivery_purchase([delivering_shop(riders, name="Other")])
    make_ready(other)
    with pytest.raises(JobRefused, match="does not match"):
        services.job_pick_up(job_id=job.pk, courier=rider, code=other.orders.get().pickup_code)
    order.refresh_from_db()
    assert order.status == "ready"


def test_a_reused_code_says_so_and_changes_nothing(claimed):
    order, job, rider = claimed
    services.job_pick_up(job_id=job.pk, courier=rider, code=order.pickup_code.lower())
    with pytest.raises(AlreadyDone, match="already picked up"):
        services.job_pick_up(job_id=job.pk, courier=rider, code=order.pickup_code)
    assert JobEvent.objects.filter(job=job, to_status="picked_up").count() == 1
    assert OrderEvent.objects.filter(order=order, to_status="out_for_delivery").count() == 1


def test_a_wrong_or_reused_code_on_the_page_gives_a_clear_message(client, claimed):
    order, job, rider = claimed
    client.force_login(rider.user)
    url = reverse("logistics:job_action", args=[job.pk, "pickup"])
    page = client.post(url, {"code": "QQQQQQ"}, follow=True).content.decode()
    assert "This code does not match a pickup of this job." in page
    client.post(url, {"code": order.pickup_code})
    page = client.post(url, {"code": order.pickup_code}, follow=True).content.decode()
    assert "already picked up; nothing changed" in page


def test_the_shops_qr_code_opens_the_couriers_job_with_the_code_filled_in(client, claimed):
    order, job, rider = claimed
    client.force_login(rider.user)
    response = client.get(reverse("logistics:pickup_by_code"), {"code": order.pickup_code})
    assert response.url == f"{reverse('logistics:job', args=[job.pk])}?code={order.pickup_code}"
    page = client.get(response.url).content.decode()
    assert f'value="{order.pickup_code}"' in page
    # Someone else's courier app, or a code no job of theirs has: back to the list, told why.
    response = client.get(reverse("logistics:pickup_by_code"), {"code": "QQQQQQ"}, follow=True)
    assert "None of your jobs has a pickup with this code" in response.content.decode()


def test_an_offline_pickup_the_server_refuses_answers_with_the_reason(client, claimed):
    order, job, rider = claimed
    client.force_login(rider.user)
    url = reverse("logistics:job_action", args=[job.pk, "pickup"])
    response = client.post(url, {"code": "QQQQQQ"}, **REPLAY)
    assert response.status_code == 409
    assert json.loads(response.content) == {
        "ok": False,
        "message": "This code does not match a pickup of this job.",
    }
    order.refresh_from_db()
    assert order.status == "ready"


def test_an_offline_pickup_sent_twice_counts_once_with_its_original_time(client, claimed):
    order, job, rider = claimed
    client.force_login(rider.user)
    url = reverse("logistics:job_action", args=[job.pk, "pickup"])
    made = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=7)).replace(
        microsecond=0
    )
    form = {"code": order.pickup_code, "happened_at": made.isoformat()}
    first = client.post(url, form, **REPLAY)
    again = client.post(url, form, **REPLAY)
    assert first.status_code == again.status_code == 200
    assert json.loads(first.content)["ok"] and json.loads(again.content)["ok"]
    job.refresh_from_db()
    assert job.status == "picked_up" and job.picked_up_at == made
    assert JobEvent.objects.filter(job=job, to_status="picked_up").count() == 1


def test_an_offline_delivery_sent_twice_counts_once(client, claimed):
    order, job, rider = claimed
    services.job_pick_up(job_id=job.pk, courier=rider, code=order.pickup_code)
    client.force_login(rider.user)
    url = reverse("logistics:job_action", args=[job.pk, "deliver"])
    assert client.post(url, {"code": job.delivery_code}, **REPLAY).status_code == 200
    again = client.post(url, {"code": job.delivery_code}, **REPLAY)
    assert again.status_code == 200 and json.loads(again.content)["ok"]
    wrong = "0000" if job.delivery_code != "0000" else "1111"
    refused = client.post(url, {"code": wrong}, **REPLAY)
    assert refused.status_code == 409
    assert OrderEvent.objects.filter(order=order, to_status="delivered").count() == 1


def test_goods_on_the_bike_stay_with_their_courier(riders):
    bakery, grocer = delivering_shop(riders, name="Bakery"), delivering_shop(riders, name="Grocer")
    purchase = delivery_purchase([bakery, grocer])
    make_ready(purchase)
    rider, other = courier(riders), courier(riders)
    job = services.job_claim(job_id=DeliveryJob.objects.get().pk, courier=rider)
    bread = purchase.orders.order_by("pk").first()
    services.job_pick_up(job_id=job.pk, courier=rider, code=bread.pickup_code)
    with pytest.raises(JobRefused, match="not yet picked up"):
        services.job_unclaim(job_id=job.pk, courier=rider, reason="Flat tyre")
    assert (
        services.jobs_assign(collective_id=riders.pk, job_ids=[job.pk], courier=None, by="d") == 0
    )
    assert (
        services.jobs_move(collective_id=riders.pk, from_courier=rider, to_courier=other, by="d")
        == 0
    )
    job.refresh_from_db()
    assert job.courier == rider and job.status == "claimed"


def test_moving_a_list_needs_two_different_couriers(client, riders, claimed):
    order, job, rider = claimed
    with pytest.raises(JobRefused, match="two different couriers"):
        services.jobs_move(collective_id=riders.pk, from_courier=rider, to_courier=rider, by="d")
    dispatcher = courier(riders, is_dispatcher=True)
    client.force_login(dispatcher.user)
    board = reverse("logistics:board", args=[riders.slug])
    page = client.post(
        board, {"action": "move", "from": rider.pk, "courier": rider.pk}, follow=True
    ).content.decode()
    assert "Choose two different couriers" in page
    job.refresh_from_db()
    assert job.courier == rider


def test_the_move_form_starts_with_two_different_couriers(client, riders):
    first, second = courier(riders, is_dispatcher=True), courier(riders)
    client.force_login(first.user)
    page = client.get(reverse("logistics:board", args=[riders.slug])).content.decode()
    import re

    def chosen(select_id):
        select = re.search(rf'<select id="{select_id}".*?</select>', page, re.S).group(0)
        options = re.findall(r'<option value="(\d+)"( selected)?', select)
        picked = [value for value, selected in options if selected]
        return int(picked[0] if picked else options[0][0])

    assert {chosen("move-from"), chosen("move-to")} == {first.pk, second.pk}


# Shop and courier at the same moment, on Postgres with real threads.


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_shop_handover_and_courier_code_at_once_record_one_pickup(riders):
    for _ in range(3):
        purchase = delivery_purchase([delivering_shop(riders)])
        make_ready(purchase)
        order = purchase.orders.get()
        rider = courier(riders)
        job = services.job_claim(job_id=order.pickup.job_id, courier=rider)

        def act(i, order=order, job=job, rider=rider):
            if i == 0:
                return order_services.order_transition(order=order, to_status="out_for_delivery")
            return services.job_pick_up(job_id=job.pk, courier=rider, code=order.pickup_code)

        results = run_together(2, act)
        assert sum(not isinstance(r, Exception) for r in results) == 1, results
        assert all(
            isinstance(r, (InvalidTransition, AlreadyDone))
            for r in results
            if isinstance(r, Exception)
        ), results
        job.refresh_from_db()
        assert job.status == "picked_up"
        assert Order.objects.get(pk=order.pk).status == "out_for_delivery"
        assert JobEvent.objects.filter(job=job, to_status="picked_up").count() == 1
        assert OrderEvent.objects.filter(order=order, to_status="out_for_delivery").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_cancel_racing_the_pickup_leaves_order_and_job_agreeing(riders):
    for _ in range(3):
        purchase = delivery_purchase([delivering_shop(riders)])
        make_ready(purchase)
        order = purchase.orders.get()
        rider = courier(riders)
        job = services.job_claim(job_id=order.pickup.job_id, courier=rider)

        def act(i, order=order, job=job, rider=rider):
            if i == 0:
                return order_services.order_transition(order=order, to_status="cancelled")
            return services.job_pick_up(job_id=job.pk, courier=rider, code=order.pickup_code)

        results = run_together(2, act)
        assert sum(not isinstance(r, Exception) for r in results) == 1, results
        job.refresh_from_db()
        status = Order.objects.get(pk=order.pk).status
        assert (status, job.status) in {
            ("cancelled", "cancelled"),
            ("out_for_delivery", "picked_up"),
        }


def test_another_courier_can_neither_see_nor_confirm_the_handover(client, riders, claimed):
    order, job, rider = claimed
    intruder = courier(riders)
    client.force_login(intruder.user)
    assert client.get(reverse("logistics:job", args=[job.pk])).status_code == 404
    response = client.get(reverse("logistics:pickup_by_code"), {"code": order.pickup_code})
    assert response.url == reverse("logistics:open_jobs")
    url = reverse("logistics:job_action", args=[job.pk, "pickup"])
    assert client.post(url, {"code": order.pickup_code}, **REPLAY).status_code == 409
    client.post(url, {"code": order.pickup_code})
    client.force_login(UserFactory())  # not a courier at all
    assert client.get(reverse("logistics:pickup_by_code"), {"code": "X"}).status_code == 404
    assert client.post(url, {"code": order.pickup_code}, **REPLAY).status_code == 404
    order.refresh_from_db()
    job.refresh_from_db()
    assert order.status == "ready" and job.status == "claimed" and job.courier == rider


def test_the_courier_reads_on_the_job_page_that_a_shop_called_off_its_order(client, riders):
    bakery, grocer = delivering_shop(riders, name="Bakery"), delivering_shop(riders, name="Grocer")
    purchase = delivery_purchase([bakery, grocer])
    make_ready(purchase)
    rider = courier(riders)
    job = services.job_claim(job_id=DeliveryJob.objects.get().pk, courier=rider)
    veg = purchase.orders.order_by("pk").last()
    order_services.order_transition(order=veg, to_status="cancelled")
    client.force_login(rider.user)
    page = client.get(reverse("logistics:job", args=[job.pk])).content.decode()
    assert f"Grocer called off order {veg.number}: do not pick it up." in page
    assert page.count("Pick up:</strong>") == 1  # only the bakery's pickup is left
