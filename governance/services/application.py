"""Joining the cooperative with a new shop: apply, and the members vote on the admission."""

from django.db import transaction
from django.utils.translation import gettext as _

from marketplace.geocoding import geocode
from shops.services.admission import shop_application_create

from ..exceptions import GovernanceError
from ..models import Proposal
from .proposals import admission_open


def shop_application_submit(
    *,
    user,
    name: str,
    description: str,
    street: str,
    postcode: str,
    city: str,
    email: str = "",
    phone: str = "",
    now=None,
) -> Proposal:
    """Create the applying shop (not visible to customers) with `user` as its owner, and
    open the members' admission vote on it, in one transaction. Raises GovernanceError when
    the address cannot be placed on the map or the person already has an application
    waiting; then nothing was created."""

    name, description = (name or "").strip(), (description or "").strip()
    if not name:
        raise GovernanceError(_("Enter your shop's name."))
    if not description:
        raise GovernanceError(_("Tell the members about your shop: what you sell and why."))
    if Proposal.objects.filter(
        kind=Proposal.Kind.ADMISSION,
        status=Proposal.Status.OPEN,
        shop__memberships__user=user,
        shop__memberships__role="owner",
    ).exists():
        raise GovernanceError(_("You already have an application waiting for the members' vote."))
    point = geocode(street=street, postcode=postcode, city=city)
    if point is None:
        raise GovernanceError(
            _("We could not find this address. Please check street and postcode.")
        )
    with transaction.atomic():
        shop = shop_application_create(
            owner=user,
            name=name[:120],
            description=description,
            street=street.strip(),
            postcode=postcode.strip(),
            city=city.strip(),
            latitude=point.latitude,
            longitude=point.longitude,
            email=email.strip(),
            phone=phone.strip(),
        )
        return admission_open(shop=shop, applicant=user, rationale=description, now=now)
