from django.db import transaction

from .models import Courier


@transaction.atomic
def courier_shift_set(*, courier: Courier, on_shift: bool) -> Courier:
    """Start or end a shift; only couriers on shift are offered and assigned delivery jobs."""
    Courier.objects.filter(pk=courier.pk).update(on_shift=on_shift)
    courier.on_shift = on_shift
    return courier
