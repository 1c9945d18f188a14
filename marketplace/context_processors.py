from django.conf import settings


def node(request):
    """What every page needs to know about the node and the person's roles."""
    user = getattr(request, "user", None)
    roles = {}
    if user is not None and user.is_authenticated:
        from marketplace.selectors import user_roles

        roles = user_roles(user=user)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_TAGLINE": settings.SITE_TAGLINE,
        "roles": roles,
    }
