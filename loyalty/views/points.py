"""Points pages: the supporter's wallet, card and offers; the shop's counter, offers and
monthly settlement. Each view checks access, calls one service, renders or redirects."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from djmoney.money import Money

from marketplace import webapp
from marketplace.money import money_from_cents
from shops import selectors as shop_selectors
from shops.dashboard import render_dashboard

from .. import selectors, services
from ..exceptions import LedgerRefused
from ..forms import (
    CardLookupForm,
    CounterAwardForm,
    CounterRedeemForm,
    OfferCodeForm,
    OfferForm,
    new_form_key,
)
from ..models import LedgerTransaction

PRESALES_AT_COUNTER = "loyalty/presales/_counter.html"


# The supporter's side ----------------------------------------------------------------------
@login_required
@require_GET
def wallet(request):
    card = services.card_for(request.user)
    page = Paginator(selectors.movements(user=request.user), 25).get_page(request.GET.get("page"))
    claims = selectors.claims_of(user=request.user).filter(used_at__isnull=True)[:10]
    return render(
        request,
        "loyalty/wallet.html",
        {
            **selectors.wallet(user=request.user, card=card),
            "page": page,
            "claims": claims,
            "offers": selectors.open_offers()[:3],
        },
    )


def _card_link(request, card) -> str:
    return request.build_absolute_uri(reverse("loyalty:card_scanned", args=[card.number]))


@login_required
@require_GET
def card(request):
    card = services.card_for(request.user)
    qr = segno.make(_card_link(request, card), error="m").svg_inline(scale=7, dark="#1d2421")
    return render(
        request,
        "loyalty/card.html",
        {"card": card, "qr_svg": qr, "balance": selectors.points_balance(user=request.user)},
    )


@login_required
@require_GET
def offers(request):
    page = Paginator(selectors.open_offers(), 24).get_page(request.GET.get("page"))
    return render(
        request,
        "loyalty/offers.html",
        {
            "page": page,
            "balance": selectors.points_balance(user=request.user),
            "claims": selectors.claims_of(user=request.user)[:20],
            "form_key": new_form_key(),
        },
    )


@login_required
@require_POST
def offer_claim(request, offer_id):
    key = request.POST.get("key", "")[:40]
    if not key:
        messages.error(request, _("Please try again from the offers page."))
        return redirect("loyalty:offers")
    try:
        claim = services.offer_claim(
            offer_id=offer_id, user=request.user, key=f"offer-{request.user.pk}-{key}"
        )
    except LedgerRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Show the code %(code)s at %(shop)s to get “%(offer)s”.")
            % {"code": claim.code, "shop": claim.offer.shop.name, "offer": claim.offer.title},
        )
    return redirect("loyalty:offers")


# The wallet as an installable app: public, since browsers fetch manifests without cookies.
@require_GET
def wallet_manifest(request):
    with webapp.requested_language(request):
        return webapp.manifest_response(
            name=_("%(site)s wallet") % {"site": settings.SITE_NAME},
            short_name=_("My points"),
            description=_("Your community points and supporter card for every member shop."),
            start_url=reverse("loyalty:wallet"),
            scope=reverse("loyalty:wallet"),
            icons=webapp.app_icons("wallet"),
            shortcuts=[
                webapp.shortcut(
                    name=_("My supporter card"), url=reverse("loyalty:card"), app="wallet"
                ),
                webapp.shortcut(
                    name=_("Special offers"), url=reverse("loyalty:offers"), app="wallet"
                ),
            ],
        )


@require_GET
def wallet_service_worker(request):
    """Served under /wallet/ so it controls the wallet: the card still shows offline."""
    return webapp.service_worker_response()


@login_required
@require_GET
def card_scanned(request, number):
    """Where a card's QR code leads when a phone's camera app scans it: the counter of the
    scanner's shop. Only people of a member shop can use someone's card."""
    if services.normalise_card_number(number) == getattr(
        getattr(request.user, "supporter_card", None), "number", None
    ):
        return redirect("loyalty:card")
    shops = list(shop_selectors.shops_of_member(user=request.user))
    if not shops:
        return render(request, "loyalty/card_refused.html", status=403)
    if len(shops) == 1:
        return redirect(_counter_url(shops[0].pk, number))
    return render(request, "loyalty/choose_counter.html", {"shops": shops, "number": number})


# The shop's side ---------------------------------------------------------------------------
def _counter_url(shop_id: int, card: str | None = None) -> str:
    url = reverse("loyalty:counter", args=[shop_id])
    return f"{url}?{urlencode({'card': card})}" if card else url


def _counter_context(request, shop, lookup: CardLookupForm, **forms) -> dict:
    context = {
        "shop": shop,
        "lookup": lookup,
        "recent": _recent_at_counter(shop),
        "shop_admitted": shop.status == shop.Status.ACTIVE,
    }
    card = None
    if lookup.is_bound and lookup.is_valid():
        try:
            card = services.card_by_number(lookup.cleaned_data["card"])
        except LedgerRefused as refused:
            lookup.add_error("card", refused.message)
    if card is not None:
        number = card.number
        initial = {"card": number, "key": new_form_key()}
        context.update(selectors.counter_view_of(card=card))
        context["award_form"] = forms.get("award_form") or CounterAwardForm(initial=initial)
        context["redeem_form"] = forms.get("redeem_form") or CounterRedeemForm(
            initial={**initial, "key": new_form_key()}
        )
        context["counter_key"] = new_form_key()
        try:
            get_template(PRESALES_AT_COUNTER)
            context["presales_partial"] = PRESALES_AT_COUNTER
        except TemplateDoesNotExist:
            pass
    context["offer_form"] = forms.get("offer_form") or OfferCodeForm()
    return context


def _recent_at_counter(shop):
    return (
        LedgerTransaction.objects.filter(shop=shop, actor__isnull=False)
        .select_related("actor")
        .prefetch_related("entries__account")
        .order_by("-created_at", "-pk")[:8]
    )


@login_required
@require_GET
def counter(request, shop_id):
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    lookup = CardLookupForm(request.GET if "card" in request.GET else None)
    context = _counter_context(request, shop, lookup)
    status = 400 if lookup.errors else 200
    return render_dashboard(request, "loyalty/counter.html", context, status=status)


def _counter_post(request, shop_id, form_class, form_name, act):
    """Shared shape of the counter's forms: check access and input, call the service with
    the form's key (a second submit changes nothing), come back to the same card."""
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            card = services.card_by_number(form.cleaned_data["card"])
            message = act(shop, card, form.cleaned_data)
        except LedgerRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, message)
            return redirect(_counter_url(shop.pk, card.number))
    lookup = CardLookupForm({"card": request.POST.get("card", "")})
    context = _counter_context(request, shop, lookup, **{form_name: form})
    return render_dashboard(request, "loyalty/counter.html", context, status=400)


@login_required
@require_POST
def counter_award(request, shop_id):
    def act(shop, card, data):
        amount = Money(data["amount"], settings.DEFAULT_CURRENCY)
        record = services.points_award_at_counter(
            card=card,
            shop=shop,
            amount=amount,
            key=f"counter-{shop.pk}-{data['key']}",
            actor=request.user,
        )
        points = record.entries.get(account__user=card.user).amount
        return ngettext(
            "%(name)s earned %(points)s point.", "%(name)s earned %(points)s points.", points
        ) % {
            "name": card.user.get_short_name(),
            "points": points,
        }

    return _counter_post(request, shop_id, CounterAwardForm, "award_form", act)


@login_required
@require_POST
def counter_redeem(request, shop_id):
    def act(shop, card, data):
        services.points_redeem(
            user=card.user,
            shop=shop,
            points=data["points"],
            key=f"counter-{shop.pk}-{data['key']}",
            actor=request.user,
        )
        value = money_from_cents(data["points"])
        return ngettext(
            "%(points)s point spent: take %(value)s off the bill.",
            "%(points)s points spent: take %(value)s off the bill.",
            data["points"],
        ) % {
            "points": data["points"],
            "value": value,
        }

    return _counter_post(request, shop_id, CounterRedeemForm, "redeem_form", act)


@login_required
@require_POST
def counter_offer_use(request, shop_id):
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    form = OfferCodeForm(request.POST)
    if form.is_valid():
        try:
            claim = services.offer_claim_use(shop=shop, code=form.cleaned_data["code"])
        except LedgerRefused as refused:
            form.add_error("code", refused.message)
        else:
            messages.success(
                request,
                _("Hand over “%(offer)s”: the code is now used.") % {"offer": claim.offer.title},
            )
            return redirect(_counter_url(shop.pk))
    context = _counter_context(request, shop, CardLookupForm(), offer_form=form)
    return render_dashboard(request, "loyalty/counter.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def shop_offers(request, shop_id):
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    offer = None
    if request.GET.get("edit") or request.POST.get("offer_id"):
        offer_id = request.POST.get("offer_id") or request.GET.get("edit")
        if not str(offer_id).isdigit():
            raise Http404("No such offer")
        offer = get_object_or_404(selectors.offers_of_shop(shop=shop), pk=offer_id)
    form = OfferForm(request.POST or None, instance=offer)
    if request.method == "POST" and form.is_valid():
        try:
            services.offer_save(shop=shop, offer=offer, **form.cleaned_data)
        except LedgerRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Offer saved."))
            return redirect("loyalty:shop_offers", shop_id=shop.pk)
    page = Paginator(selectors.offers_of_shop(shop=shop), 25).get_page(request.GET.get("page"))
    return render_dashboard(
        request,
        "loyalty/shop_offers.html",
        {"shop": shop, "form": form, "page": page, "editing": offer},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def shop_settlement(request, shop_id):
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    return render_dashboard(
        request,
        "loyalty/shop_settlement.html",
        {"shop": shop, **selectors.shop_settlement(shop=shop)},
    )
