"""Automatic assignment in the background and the dispatcher's board."""

import pytest
from django.urls import reverse

from logistics import services
from logistics.models import DeliveryJob
from logistics.tasks import assign_waiting_jobs_task
from marketplace.tests.factories import UserFactory

from .factories import collective, courier, delivering_shop, delivery_purchase, make_ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def riders():
    return collective()


def open_jobs(riders, count):
    shop = delivering_shop(riders)
    for _ in range(count):
        make_ready(delivery_purchase([shop]))
    return list(DeliveryJob.objects.order_by("pk"))


def test_waiting_jobs_go_to_couriers_on_shift_with_room(riders, settings):
    settings.JOB_AUTO_ASSIGN_AFTER_MINUTES = 0
    jobs = open_jobs(riders, 5)
    big = courier(riders, capacity_kg=50, capacity_litres=100)
    courier(riders, on_shift=False)
    assert assign_waiting_jobs_task() == 5
    assert set(DeliveryJob.objects.values_list("courier", flat=True)) == {big.pk}
    assert assign_waiting_jobs_task() == 0  # nothing left: running again changes nothing
    assert all(j.events.filter(to_status="claimed").count() == 1 for j in jobs)


def test_jobs_are_not_assigned_before_their_time(riders, settings):
    settings.JOB_AUTO_ASSIGN_AFTER_MINUTES = 60
    open_jobs(riders, 2)
    courier(riders)
    assert assign_waiting_jobs_task() == 0


def test_the_board_assigns_moves_and_unassigns(client, riders):
    jobs = open_jobs(riders, 3)
    dispatcher = courier(riders, is_dispatcher=True)
    kim, sam = courier(riders), courier(riders)
    client.force_login(dispatcher.user)
    board = reverse("logistics:board", args=[riders.slug])
    page = client.get(board)
    assert len(page.context["jobs"]) == 3
    client.post(board, {"action": "assign", "courier": kim.pk, "jobs": [j.pk for j in jobs]})
    assert set(DeliveryJob.objects.values_list("courier", flat=True)) == {kim.pk}
    client.post(board, {"action": "move", "from": kim.pk, "courier": sam.pk})
    assert set(DeliveryJob.objects.values_list("courier", flat=True)) == {sam.pk}
    client.post(board, {"action": "assign", "courier": "", "jobs": [jobs[0].pk]})
    jobs[0].refresh_from_db()
    assert jobs[0].status == "open" and jobs[0].courier is None
    payroll = client.get(reverse("logistics:payroll", args=[riders.slug]))
    assert payroll.status_code == 200 and payroll.content.decode("utf-8-sig").startswith("name,")


def test_couriers_and_other_collectives_cannot_open_the_board(client, riders):
    open_jobs(riders, 1)
    plain = courier(riders)
    other_dispatcher = courier(collective(slug="other", name="Other"), is_dispatcher=True)
    for person in (plain.user, other_dispatcher.user, UserFactory()):
        client.force_login(person)
        assert client.get(reverse("logistics:board", args=[riders.slug])).status_code == 404
        assert (
            client.post(
                reverse("logistics:board", args=[riders.slug]), {"action": "auto"}
            ).status_code
            == 404
        )
        assert client.get(reverse("logistics:payroll", args=[riders.slug])).status_code == 404
    assert DeliveryJob.objects.get().status == "open"


def test_board_query_count_does_not_grow_with_jobs(client, riders, django_assert_max_num_queries):
    dispatcher = courier(riders, is_dispatcher=True)
    client.force_login(dispatcher.user)
    open_jobs(riders, 2)
    with django_assert_max_num_queries(12):
        client.get(reverse("logistics:board", args=[riders.slug]))
    open_jobs(riders, 10)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("logistics:board", args=[riders.slug]))
    assert len(response.context["jobs"]) == 12


def test_dispatcher_assignment_skips_jobs_already_picked_up(riders):
    jobs = open_jobs(riders, 1)
    rider, other = courier(riders), courier(riders)
    services.job_claim(job_id=jobs[0].pk, courier=rider)
    order = jobs[0].pickups.get().order
    services.job_pick_up(job_id=jobs[0].pk, courier=rider, code=order.pickup_code)
    assert (
        services.jobs_assign(collective_id=riders.pk, job_ids=[jobs[0].pk], courier=other, by="x")
        == 0
    )


def test_the_board_shows_booked_delivery_windows_and_each_jobs_window(client, riders):
    import datetime

    from django.utils import timezone

    dispatcher = courier(riders, is_dispatcher=True)
    client.force_login(dispatcher.user)
    make_ready(delivery_purchase([delivering_shop(riders)]))
    job = DeliveryJob.objects.get()
    window = riders.windows.get()
    assert (job.drop_after, job.drop_before) == (window.starts_at, window.ends_at)
    html = client.get(reverse("logistics:board", args=[riders.slug])).content.decode()
    start = timezone.localtime(window.starts_at)
    hours = f"{start:%H:%M}–{start + datetime.timedelta(hours=2):%H:%M}"
    assert "Delivery windows booked" in html
    assert f"{hours}</td><td>1 / {riders.window_capacity}</td>" in html
    assert html.count(hours) == 2  # the window's row and the job's due time
