from django.db import transaction


@transaction.atomic
def profile_update(*, user, display_name: str, first_name: str, last_name: str, phone: str):
    user.display_name = display_name.strip()
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.phone = phone.strip()
    user.save(update_fields=["display_name", "first_name", "last_name", "phone"])
    return user
