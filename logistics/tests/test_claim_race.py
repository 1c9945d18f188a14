"""On Postgres, twenty couriers claiming one job at once: exactly one gets it."""

import pytest

from logistics import services
from logistics.exceptions import JobTaken
from logistics.models import DeliveryJob, JobEvent
from marketplace.tests.concurrency import run_together

from .factories import collective, courier, delivering_shop, delivery_purchase, make_ready

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(3))
def test_twenty_couriers_one_job_one_winner(round_):
    riders = collective(slug=f"riders-{round_}")
    make_ready(delivery_purchase([delivering_shop(riders)]))
    job = DeliveryJob.objects.get()
    couriers = [courier(riders) for _ in range(20)]
    results = run_together(20, lambda i: services.job_claim(job_id=job.pk, courier=couriers[i]))

    winners = [r for r in results if isinstance(r, DeliveryJob)]
    taken = [r for r in results if isinstance(r, JobTaken)]
    assert len(winners) == 1 and len(taken) == 19, results
    job.refresh_from_db()
    assert job.courier_id == winners[0].courier_id
    assert JobEvent.objects.filter(job=job, to_status="claimed").count() == 1
