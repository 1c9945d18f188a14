from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import selectors


@login_required
@require_GET
def wallet(request):
    page = Paginator(selectors.movements(user=request.user), 25).get_page(request.GET.get("page"))
    return render(
        request, "loyalty/wallet.html", {**selectors.wallet(user=request.user), "page": page}
    )
