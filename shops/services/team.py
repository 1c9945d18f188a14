"""The shop's settings and team."""

import secrets

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from marketplace import events
from marketplace.emails import render_plain_text
from marketplace.outbox import once_per_recipient

from ..models import ShopMembership, TeamInvitation


class TeamError(Exception):
    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


@transaction.atomic
def team_invite(*, shop, email: str, role: str, invited_by, accept_url) -> TeamInvitation:
    """Invite someone by email; the email goes out after commit, from the outbox
    (shops.team_invited). accept_url(token) makes the link. Someone already in the team
    is not invited again."""
    email = email.strip().lower()
    if ShopMembership.objects.filter(shop=shop, user__email__iexact=email).exists():
        raise TeamError(_("%(email)s is already in your team.") % {"email": email})
    invitation = TeamInvitation.objects.create(
        shop=shop, email=email, role=role, token=secrets.token_urlsafe(32), invited_by=invited_by
    )
    events.publish("shops.team_invited", invitation=invitation, link=accept_url(invitation.token))
    return invitation


def team_invitation_send(*, event, invitation_id: int, link: str) -> bool:
    """Email the invitation, in the node's language, once per outbox message. An invitation
    accepted meanwhile is not sent. Whether it was sent now."""
    invitation = TeamInvitation.objects.select_related("shop", "invited_by").get(pk=invitation_id)
    if invitation.accepted_at is not None:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        body = render_plain_text(
            "shops/email/invitation.txt",
            {
                "shop": invitation.shop,
                "inviter": invitation.invited_by,
                "link": link,
                "SITE_NAME": settings.SITE_NAME,
            },
        )
        subject = _("Join %(shop)s on %(site)s") % {
            "shop": invitation.shop.name,
            "site": settings.SITE_NAME,
        }
    return once_per_recipient(
        event, invitation.email, lambda: send_mail(subject, body, None, [invitation.email])
    )


@transaction.atomic
def team_invitation_accept(*, token: str, user) -> ShopMembership:
    """Join the team the invitation is for; it works once, for the invited address."""
    invitation = (
        TeamInvitation.objects.select_for_update().filter(token=token, accepted_at=None).first()
    )
    if invitation is None:
        raise TeamError(_("This invitation is no longer valid."))
    if invitation.email.lower() != user.email.lower():
        raise TeamError(
            _("This invitation is for %(email)s. Log in with that address to accept it.")
            % {"email": invitation.email}
        )
    membership, _created = ShopMembership.objects.get_or_create(
        shop=invitation.shop, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def team_member_change(*, shop, membership_id: int, role: str | None, remove: bool = False):
    """Change a member's role or remove them; a shop always keeps at least one owner."""
    members = list(ShopMembership.objects.select_for_update().filter(shop=shop).order_by("pk"))
    member = next((m for m in members if m.pk == membership_id), None)
    if member is None:
        raise TeamError(_("No such team member."))
    owners = [m for m in members if m.role == ShopMembership.Role.OWNER]
    leaves_owners = remove or role != ShopMembership.Role.OWNER
    if member.role == ShopMembership.Role.OWNER and leaves_owners and len(owners) == 1:
        raise TeamError(_("A shop needs at least one owner."))
    if remove:
        member.delete()
        return None
    member.role = role
    member.save(update_fields=["role", "updated_at"])
    return member
