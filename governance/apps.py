from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Cooperative governance")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from shops.signals import catalogue_row_changed

        from . import models

        # A shop's public page shows these and is kept until the catalogue changes.
        for model in (models.ShopNews, models.ShopEvent):
            for signal in (post_save, post_delete):
                signal.connect(
                    catalogue_row_changed,
                    sender=model,
                    dispatch_uid=f"governance-catalogue-{signal is post_save}-{model.__name__}",
                )
