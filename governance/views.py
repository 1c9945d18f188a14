from django.core.paginator import Paginator
from django.shortcuts import render

from . import selectors


def cooperative(request):
    """The cooperative in brief; the register of members is for members only."""
    members = selectors.current_members()
    is_member = selectors.user_is_member(user=request.user)
    page = Paginator(members.order_by("joined_on", "id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "governance/cooperative.html",
        {
            "member_count": members.count(),
            "shop_member_count": members.filter(kind="shop").count(),
            "is_member": is_member,
            "my_entries": selectors.member_entries_of(user=request.user)
            if request.user.is_authenticated
            else [],
            "page": page if is_member else None,
        },
    )
