"""Presale pages: the public list and campaign page with its pledge form, the supporter's
pledges, the shop's campaigns in the dashboard, and the presale part of the counter. Each
view checks access, calls one service, renders or redirects."""

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from djmoney.money import Money

from marketplace.charts import bar_chart
from marketplace.money import cents_of, money_from_cents
from shops import selectors as shop_selectors
from shops.dashboard import render_dashboard

from .. import selectors as points_selectors
from .. import services as loyalty_services
from ..exceptions import CampaignError, LedgerRefused
from ..models import Campaign, Pledge
from ..views.points import _counter_url
from . import selectors
from . import services as presales
from .forms import (
    CampaignForm,
    CounterPledgeForm,
    CounterPresaleRedeemForm,
    PledgeForm,
)

S = Campaign.Status


# The public side -----------------------------------------------------------------------------
@require_GET
def presale_list(request):
    page = Paginator(selectors.campaigns_open(), 12).get_page(request.GET.get("page"))
    redeeming = selectors.campaigns_redeeming()[:12]
    return render(request, "loyalty/presales/list.html", {"page": page, "redeeming": redeeming})


def _pledge_form(request, campaign, data=None):
    balance = (
        points_selectors.points_balance(user=request.user) if request.user.is_authenticated else 0
    )
    return PledgeForm(
        data,
        campaign=campaign,
        points_balance=balance,
        card=presales.card_payment_available(),
    )


def _campaign_page(request, campaign, form=None, status=200):
    holding = selectors.holding_of(user=request.user, campaign=campaign)
    mine = []
    if request.user.is_authenticated:
        mine = list(selectors.pledges_of_supporter(user=request.user).filter(campaign=campaign))
    return render(
        request,
        "loyalty/presales/detail.html",
        {
            "campaign": campaign,
            "form": form
            or (_pledge_form(request, campaign) if campaign.status == S.OPEN else None),
            "holding": holding,
            "mine": mine,
            "events": campaign.events.all(),
            "products": selectors.reward_products(campaign=campaign),
            "S": S,
        },
        status=status,
    )


@require_GET
def campaign_detail(request, campaign_id):
    campaign = selectors.campaign_public(campaign_id=campaign_id)
    return _campaign_page(request, campaign)


@login_required
@require_POST
def pledge_create(request, campaign_id):
    campaign = selectors.campaign_public(campaign_id=campaign_id)
    form = _pledge_form(request, campaign, request.POST)
    if not form.is_valid():
        return _campaign_page(request, campaign, form, status=400)
    data = form.cleaned_data
    try:
        pledge = presales.pledge_create(
            campaign=campaign,
            supporter=request.user,
            amount=Money(data["amount"], settings.DEFAULT_CURRENCY),
            points=data.get("points") or 0,
            payment_method=data["payment_method"],
            token=data["token"],
        )
    except LedgerRefused as refused:
        form.add_error(None, refused.message)
        return _campaign_page(request, campaign, form, status=400)
    return _after_pledge(request, pledge)


def _after_pledge(request, pledge):
    detail = reverse("loyalty:pledge_detail", args=[pledge.pk])
    if pledge.status == Pledge.Status.PAID:
        messages.success(request, _("Thank you! Your pledge is paid."))
        return redirect(detail)
    if pledge.payment_method == Pledge.PaymentMethod.CARD:
        try:
            url = presales.pledge_checkout_start(
                pledge=pledge,
                return_url=request.build_absolute_uri(detail) + "?paid=1",
                cancel_url=request.build_absolute_uri(detail),
            )
        except (stripe.StripeError, OSError):
            messages.error(request, _("The card payment could not be started. Try again."))
            return redirect(detail)
        except LedgerRefused as refused:
            messages.error(request, refused.message)
            return redirect(detail)
        return redirect(url)
    messages.success(
        request,
        ngettext(
            "Thank you! Pay at the shop within %(days)s day with your supporter card.",
            "Thank you! Pay at the shop within %(days)s days with your supporter card.",
            settings.PRESALE_AT_SHOP_PAYMENT_DAYS,
        )
        % {"days": settings.PRESALE_AT_SHOP_PAYMENT_DAYS},
    )
    return redirect(detail)


@login_required
@require_GET
def my_pledges(request):
    page = Paginator(selectors.pledges_of_supporter(user=request.user), 20).get_page(
        request.GET.get("page")
    )
    holdings = selectors.presale_holdings(user=request.user)[:50]
    return render(request, "loyalty/presales/my_pledges.html", {"page": page, "holdings": holdings})


@login_required
@require_GET
def pledge_detail(request, pledge_id):
    pledge = selectors.pledge_of_supporter(user=request.user, pledge_id=pledge_id)
    return render(
        request,
        "loyalty/presales/pledge_detail.html",
        {
            "pledge": pledge,
            "campaign": pledge.campaign,
            "holding": selectors.holding_of(user=request.user, campaign=pledge.campaign),
            "returning_from_card": request.GET.get("paid") == "1",
            "days": settings.PRESALE_AT_SHOP_PAYMENT_DAYS,
        },
    )


@login_required
@require_POST
def pledge_pay(request, pledge_id):
    """Pay an awaiting card pledge (again, after leaving Stripe's page)."""
    pledge = selectors.pledge_of_supporter(user=request.user, pledge_id=pledge_id)
    if pledge.payment_method != Pledge.PaymentMethod.CARD:
        messages.error(request, _("This pledge is paid at the shop."))
        return redirect("loyalty:pledge_detail", pledge_id=pledge.pk)
    return _after_pledge(request, pledge)


@login_required
@require_POST
def pledge_cancel(request, pledge_id):
    pledge = selectors.pledge_of_supporter(user=request.user, pledge_id=pledge_id)
    try:
        presales.pledge_cancel(pledge=pledge, user=request.user)
    except LedgerRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Your pledge is withdrawn; nothing was paid."))
    return redirect("loyalty:pledge_detail", pledge_id=pledge.pk)


# The shop's side -----------------------------------------------------------------------------
@login_required
@require_GET
def shop_campaigns(request, shop_id):
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    page = Paginator(selectors.campaigns_of_shop(shop=shop), 20).get_page(request.GET.get("page"))
    return render_dashboard(
        request, "loyalty/presales/shop_campaigns.html", {"shop": shop, "page": page}
    )


@login_required
@require_http_methods(["GET", "POST"])
def shop_campaign_new(request, shop_id):
    shop = shop_selectors.shop_for_owner(user=request.user, shop_id=shop_id)
    form = CampaignForm(request.POST or None, shop=shop)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = presales.campaign_create(shop=shop, actor=request.user, data=form.terms())
        except LedgerRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Draft saved. Check it, then publish it."))
            return redirect("loyalty:shop_campaign", shop_id=shop.pk, campaign_id=campaign.pk)
    return render_dashboard(
        request,
        "loyalty/presales/shop_campaign_form.html",
        {"shop": shop, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def shop_campaign_edit(request, shop_id, campaign_id):
    shop = shop_selectors.shop_for_owner(user=request.user, shop_id=shop_id)
    campaign = selectors.campaign_for_shop(shop=shop, campaign_id=campaign_id)
    if campaign.status != S.DRAFT:
        messages.error(request, _("A published campaign's terms can no longer be changed."))
        return redirect("loyalty:shop_campaign", shop_id=shop.pk, campaign_id=campaign.pk)
    form = CampaignForm(request.POST or None, shop=shop, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            presales.campaign_update(campaign=campaign, actor=request.user, data=form.terms())
        except LedgerRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("loyalty:shop_campaign", shop_id=shop.pk, campaign_id=campaign.pk)
    return render_dashboard(
        request,
        "loyalty/presales/shop_campaign_form.html",
        {"shop": shop, "form": form, "campaign": campaign},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def shop_campaign(request, shop_id, campaign_id):
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    campaign = selectors.campaign_for_shop(shop=shop, campaign_id=campaign_id)
    page = Paginator(selectors.pledges_of_campaign(campaign=campaign), 25).get_page(
        request.GET.get("page")
    )
    chart = None
    if campaign.status != S.DRAFT:
        points = [
            (day.strftime("%d.%m."), total)
            for day, total in selectors.pledges_by_day(campaign=campaign)
        ]
        chart = bar_chart(points, display=lambda v: str(Money(v, settings.DEFAULT_CURRENCY)))
    return render_dashboard(
        request,
        "loyalty/presales/shop_campaign.html",
        {
            "shop": shop,
            "campaign": campaign,
            "page": page,
            "figures": selectors.campaign_figures(campaign=campaign),
            "events": campaign.events.select_related("actor"),
            "chart": chart,
            "S": S,
            "can_open_redemption": campaign.status in (S.FUNDED, S.MISSED_KEPT)
            or (campaign.status == S.OPEN and campaign.raised >= campaign.target),
            "can_cancel": campaign.status in presales.CANCELLABLE,
        },
    )


def _shop_campaign_action(request, shop_id, campaign_id, act, done: str):
    shop = shop_selectors.shop_for_owner(user=request.user, shop_id=shop_id)
    campaign = selectors.campaign_for_shop(shop=shop, campaign_id=campaign_id)
    try:
        act(campaign)
    except LedgerRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done)
    return redirect("loyalty:shop_campaign", shop_id=shop.pk, campaign_id=campaign.pk)


@login_required
@require_POST
def shop_campaign_publish(request, shop_id, campaign_id):
    if request.POST.get("terms_checked") != "yes":
        shop = shop_selectors.shop_for_owner(user=request.user, shop_id=shop_id)
        messages.error(
            request,
            _("Tick that you have checked the terms: they cannot change once published."),
        )
        return redirect("loyalty:shop_campaign", shop_id=shop.pk, campaign_id=campaign_id)
    return _shop_campaign_action(
        request,
        shop_id,
        campaign_id,
        lambda c: presales.campaign_publish(campaign=c, actor=request.user),
        _("Published: supporters can pledge now."),
    )


@login_required
@require_POST
def shop_campaign_open_redemption(request, shop_id, campaign_id):
    return _shop_campaign_action(
        request,
        shop_id,
        campaign_id,
        lambda c: presales.campaign_open_redemption(campaign=c, actor=request.user),
        _("Redemption is open: supporters can redeem at your counter with their card."),
    )


@login_required
@require_POST
def shop_campaign_cancel(request, shop_id, campaign_id):
    reason = request.POST.get("reason", "").strip()[:300]
    return _shop_campaign_action(
        request,
        shop_id,
        campaign_id,
        lambda c: presales.campaign_cancel(campaign=c, actor=request.user, reason=reason),
        _("The campaign is cancelled and every supporter is being refunded."),
    )


# The counter ---------------------------------------------------------------------------------
def _counter_post(request, shop_id, form_class, act):
    """Check access and input, call the service, come back to the same card at the
    counter with what happened (or why nothing did)."""
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    form = form_class(request.POST)
    number = request.POST.get("card", "")
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, _("Nothing was changed: %(errors)s") % {"errors": errors})
        return redirect(_counter_url(shop.pk, number))
    try:
        card = loyalty_services.card_by_number(form.cleaned_data["card"])
        messages.success(request, act(shop, card, form.cleaned_data))
    except LedgerRefused as refused:
        messages.error(request, refused.message)
    return redirect(_counter_url(shop.pk, number))


@login_required
@require_POST
def counter_presale_redeem(request, shop_id):
    def act(shop, card, data):
        amount_cents = cents_of(Money(data["amount"], settings.DEFAULT_CURRENCY))
        presales.presale_redeem(
            shop=shop,
            user=card.user,
            campaign_id=data["campaign"],
            amount_cents=amount_cents,
            key=f"{shop.pk}-{data['key']}",
            actor=request.user,
        )
        left = selectors.holding_of(user=card.user, campaign=Campaign(pk=data["campaign"]))
        return _("Redeemed %(amount)s. %(left)s left.") % {
            "amount": money_from_cents(amount_cents),
            "left": money_from_cents(left),
        }

    return _counter_post(request, shop_id, CounterPresaleRedeemForm, act)


@login_required
@require_POST
def counter_pledge_paid(request, shop_id):
    def act(shop, card, data):
        pledge = presales.pledge_confirm_paid_at_shop(
            shop=shop, pledge_id=_pledge_of(card, data), actor=request.user
        )
        return _("Pledge of %(amount)s paid: take %(money)s.") % {
            "amount": pledge.amount,
            "money": pledge.money_part,
        }

    return _counter_post(request, shop_id, CounterPledgeForm, act)


@login_required
@require_POST
def counter_refund_handed(request, shop_id):
    def act(shop, card, data):
        pledge = presales.pledge_money_handed_back(
            shop=shop, pledge_id=_pledge_of(card, data), actor=request.user
        )
        return _("Noted: %(money)s handed back.") % {"money": pledge.money_part}

    return _counter_post(request, shop_id, CounterPledgeForm, act)


def _pledge_of(card, data) -> int:
    """The pledge must be the card holder's own; otherwise it is not found."""
    if not Pledge.objects.filter(pk=data["pledge"], supporter=card.user).exists():
        raise CampaignError(_("This card holder has no such pledge."))
    return data["pledge"]
