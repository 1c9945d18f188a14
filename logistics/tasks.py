from celery import shared_task

from . import services
from .models import Collective


@shared_task
def assign_waiting_jobs_task() -> int:
    """Beat: jobs nobody claimed in time go to the best couriers on shift."""
    return sum(
        services.jobs_auto_assign(collective_id=pk)
        for pk in Collective.objects.values_list("pk", flat=True)
    )


@shared_task
def purge_delivery_personal_data_task() -> int:
    return services.delivery_personal_data_purge()
