from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketplace.models import TimeStamped


class Member(TimeStamped):
    """An entry of the cooperative's member register: one member, one vote. A member is a
    shop (its owners vote for it), a couriers' collective, or an individual supporter."""

    class Kind(models.TextChoices):
        SHOP = "shop", _("Member shop")
        COLLECTIVE = "collective", _("Couriers' collective")
        SUPPORTER = "supporter", _("Supporter")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    shop = models.OneToOneField(
        "shops.Shop", on_delete=models.PROTECT, null=True, blank=True, related_name="member"
    )
    collective = models.OneToOneField(
        "logistics.Collective",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="member",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supporter_membership",
    )
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["joined_on", "id"]
        constraints = [
            # Exactly the one party that matches the kind.
            models.CheckConstraint(
                condition=(
                    Q(kind="shop", shop__isnull=False, collective__isnull=True, user__isnull=True)
                    | Q(
                        kind="collective",
                        collective__isnull=False,
                        shop__isnull=True,
                        user__isnull=True,
                    )
                    | Q(
                        kind="supporter",
                        user__isnull=False,
                        shop__isnull=True,
                        collective__isnull=True,
                    )
                ),
                name="member_is_one_party",
            ),
        ]

    def __str__(self):
        return str(self.shop or self.collective or self.user)

    @property
    def is_current(self) -> bool:
        return self.left_on is None
