from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopsConfig(AppConfig):
    name = "shops"
    verbose_name = _("Shops and catalogue")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import models
        from .lists.signals import claim_visitor_shopping_lists
        from .models import Synonym
        from .signals import catalogue_row_changed, catalogue_shows, forget_synonyms

        user_logged_in.connect(
            claim_visitor_shopping_lists, dispatch_uid="shops-claim-visitor-shopping-lists"
        )
        post_save.connect(forget_synonyms, sender=Synonym, dispatch_uid="shops-synonym-saved")
        post_delete.connect(forget_synonyms, sender=Synonym, dispatch_uid="shops-synonym-deleted")
        catalogue_shows(
            models.Product,
            models.ProductPhoto,
            models.Shop,
            models.OpeningHours,
            models.ShopClosure,
            models.Category,
            models.Label,
        )
        for through in (models.Product.labels.through, models.Shop.labels.through):
            m2m_changed.connect(
                catalogue_row_changed, sender=through, dispatch_uid=f"shops-catalogue-{through}"
            )
