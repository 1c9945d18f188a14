from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopsConfig(AppConfig):
    name = "shops"
    verbose_name = _("Shops and catalogue")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from .lists.signals import claim_visitor_shopping_lists
        from .models import Synonym
        from .signals import forget_synonyms

        user_logged_in.connect(
            claim_visitor_shopping_lists, dispatch_uid="shops-claim-visitor-shopping-lists"
        )
        post_save.connect(forget_synonyms, sender=Synonym, dispatch_uid="shops-synonym-saved")
        post_delete.connect(forget_synonyms, sender=Synonym, dispatch_uid="shops-synonym-deleted")
