from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Marketplace")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from governance.models import Member
        from logistics.models import Collective, Courier
        from shops.models import ShopMembership

        from . import events
        from .selectors import roles_changed

        events.check_registry()
        # What the menu shows of each person's roles is cached (selectors.user_roles).
        for model in (ShopMembership, Courier, Member, Collective):
            for signal in (post_save, post_delete):
                signal.connect(
                    roles_changed,
                    sender=model,
                    dispatch_uid=f"marketplace-roles-{signal is post_save}-{model.__name__}",
                )
