import json
import logging

import segno
import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from marketplace import events
from marketplace.geocoding import geocode
from shops import selectors as shop_selectors
from shops.models import Product, Shop

from . import selectors, services
from .exceptions import CheckoutError, InvalidQuantity, InvalidTransition, WrongPickupCode
from .forms import AddToCartForm, CartLineForm, CheckoutForm
from .models import Order, Purchase
from .payments import stripe_card

logger = logging.getLogger(__name__)


def _cart_for_update(request):
    cart = services.cart_get_or_create(
        user=request.user, visitor_cart_id=request.session.get(selectors.SESSION_CART)
    )
    if not request.user.is_authenticated:
        request.session[selectors.SESSION_CART] = cart.pk
    return cart


@require_POST
def cart_add(request, product_id):
    product = (
        Product.objects.select_related("shop")
        .filter(pk=product_id, is_active=True, shop__status=Shop.Status.ACTIVE)
        .first()
    )
    if product is None:
        raise Http404("No such product")
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a quantity."))
        return redirect(product.get_absolute_url())
    try:
        services.cart_add(
            cart=_cart_for_update(request), product=product, quantity=form.cleaned_data["quantity"]
        )
    except InvalidQuantity as error:
        messages.error(request, error.message)
        return redirect(product.get_absolute_url())
    messages.success(request, _("%(title)s is in your cart.") % {"title": product.title})
    if request.POST.get("next") == "cart":
        return redirect("orders:cart")
    return redirect(product.get_absolute_url())


@require_GET
def cart_detail(request):
    contents = selectors.cart_contents(cart=selectors.cart_for_request(request))
    return render(request, "orders/cart.html", {"cart": contents})


@require_POST
def cart_line_update(request, line_id):
    cart = selectors.cart_for_request(request)
    if cart is None:
        raise Http404("No cart")
    form = CartLineForm(request.POST)
    quantity = form.data.get("quantity", "")
    try:
        services.cart_set_quantity(cart=cart, line_id=line_id, quantity=quantity)
    except InvalidQuantity as error:
        messages.error(request, error.message)
    return redirect("orders:cart")


def checkout(request):
    cart = selectors.cart_for_request(request)
    contents = selectors.cart_contents(cart=cart, for_checkout=True)
    if not contents.groups:
        messages.info(request, _("Your cart is empty."))
        return redirect("orders:cart")
    shops = [group.shop for group in contents.groups]
    initial = {}
    if request.user.is_authenticated:
        initial = {
            "name": request.user.get_full_name() or request.user.display_name,
            "email": request.user.email,
            "phone": request.user.phone,
        }
    points_available = points_usable = 0
    if request.user.is_authenticated:
        points_available, points_usable = events.ask(
            "points.usable_on",
            user=request.user,
            subtotals=[group.subtotal for group in contents.groups],
        )
    form = CheckoutForm(
        request.POST or None, shops=shops, initial=initial, points_available=points_available
    )
    confirm_pin = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        address = None
        if data["wants_delivery"]:
            if data.get("latitude") is None or data.get("longitude") is None:
                point = geocode(street=data["street"], postcode=data["postcode"], city=data["city"])
                if point is None:
                    form.add_error("street", _("We could not find this address. Please check it."))
                else:
                    # Show the pin and let the customer confirm or move it before placing.
                    form.data = form.data.copy()
                    form.data["latitude"], form.data["longitude"] = point.latitude, point.longitude
                    confirm_pin = True
            else:
                address = services.DeliveryAddress(
                    street=data["street"],
                    postcode=data["postcode"],
                    city=data["city"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                )
        if not form.errors and not confirm_pin:
            request_data = services.CheckoutRequest(
                checkout_token=data["checkout_token"],
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                notes=data["notes"],
                payment_method=data["payment_method"],
                points=data["points"],
                address=address,
                choices={
                    shop.pk: services.ShopChoice(
                        fulfilment=data[f"fulfilment_{shop.pk}"],
                        pickup_from=data.get(f"slot_{shop.pk}") or None,
                        delivery_from=data.get(f"delivery_from_{shop.pk}"),
                    )
                    for shop in shops
                },
            )
            try:
                purchase = services.checkout_place(
                    cart=cart, customer=request.user, request=request_data
                )
            except (CheckoutError, InvalidQuantity) as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                if purchase.customer_id is None:
                    # A visitor's purchases are theirs by this session; an account's by the
                    # account (not writing the session saves a transaction per order).
                    remembered = request.session.get(selectors.SESSION_PURCHASES, [])
                    request.session[selectors.SESSION_PURCHASES] = [
                        *remembered[-19:],
                        purchase.pk,
                    ]
                return _go_pay(request, purchase)
    return render(
        request,
        "orders/checkout.html",
        {
            "cart": contents,
            "form": form,
            "confirm_pin": confirm_pin,
            "points_usable": points_usable,
            "map_data": {
                "tileUrl": settings.MAP_TILE_URL,
                "attribution": settings.MAP_TILE_ATTRIBUTION,
                "centre": list(settings.NODE_CENTRE),
                "markers": [],
                "pin": True,
            },
        },
        status=400 if form.errors else 200,
    )


def _go_pay(request, purchase: Purchase):
    detail = request.build_absolute_uri(purchase.get_absolute_url())
    try:
        url = services.payment_start(
            purchase=purchase, return_url=f"{detail}?paid=1", cancel_url=f"{detail}?cancelled=1"
        )
    except stripe.StripeError:
        messages.error(request, _("Card payment is not reachable right now. Please try again."))
        return redirect(purchase.get_absolute_url())
    return redirect(url) if url else redirect(purchase.get_absolute_url())


@require_POST
def purchase_pay(request, purchase_id):
    purchase = selectors.purchase_for_customer(request=request, purchase_id=purchase_id)
    return _go_pay(request, purchase)


@require_GET
def purchase_detail(request, purchase_id):
    purchase = selectors.purchase_for_customer(request=request, purchase_id=purchase_id)
    orders = list(purchase.orders.all())
    for order in orders:
        # The QR code opens the order on the shop's phone; the code alone works typed in.
        link = request.build_absolute_uri(
            reverse("orders:collect_by_code") + f"?code={order.pickup_code}"
        )
        order.qr_svg = segno.make(link, error="m").svg_inline(scale=4, dark="#1d2421")
    pending_card = any(
        p.status == "pending" and p.provider == "card" for p in purchase.payments.all()
    )
    return render(
        request,
        "orders/purchase_detail.html",
        {"purchase": purchase, "orders": orders, "pending_card": pending_card},
    )


@require_POST
def purchase_order_cancel(request, purchase_id, order_id):
    """The customer calls off one shop's order before the shop has started on it."""
    purchase = selectors.purchase_for_customer(request=request, purchase_id=purchase_id)
    order = purchase.orders.filter(pk=order_id).first()
    if order is None:
        raise Http404("No such order")
    if order.status not in services.CUSTOMER_CANCELLABLE:
        messages.error(request, _("The shop has started on this order; please call them."))
    else:
        try:
            services.order_transition(
                order=order,
                to_status=Order.Status.CANCELLED,
                actor=request.user if request.user.is_authenticated else None,
                note=_("Cancelled by the customer."),
            )
        except InvalidTransition:
            messages.error(request, _("The shop has started on this order; please call them."))
        else:
            messages.success(
                request, _("Your order at %(shop)s is cancelled.") % {"shop": order.shop.name}
            )
    return redirect(purchase.get_absolute_url())


@login_required
@require_GET
def my_purchases(request):
    page = Paginator(selectors.purchases_of(user=request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "orders/my_purchases.html", {"page": page})


def _with_actions(order: Order, error: str = "", request=None) -> Order:
    order.actions = services.shop_actions(order)
    order.error = error
    order.handover = _courier_handover(request, order) if request is not None else None
    return order


def _courier_handover(request, order: Order) -> dict | None:
    """What the shop shows the courier for a delivery order that is ready: the code, large,
    and as a QR code the courier scans (it opens the courier's job with the code filled in),
    with the first name of the courier who took the job."""
    pickup = events.ask("delivery.live_pickup", order=order)
    if order.status != Order.Status.READY or pickup is None or pickup.picked_up_at:
        return None
    link = request.build_absolute_uri(
        reverse("logistics:pickup_by_code") + f"?code={order.pickup_code}"
    )
    courier = pickup.job.courier
    return {
        "code": order.pickup_code,
        "qr_svg": segno.make(link, error="m").svg_inline(scale=4, dark="#1d2421"),
        "courier_name": (courier.user.first_name or courier.user.get_short_name())
        if courier
        else "",
    }


@login_required
@require_GET
def shop_orders(request, shop_id):
    """Incoming orders; the table refreshes itself (htmx) and counts the new ones."""
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    status = request.GET.get("status") or None
    if status not in dict(Order.Status.choices):
        status = None
    page = Paginator(selectors.orders_of_shop(shop=shop, status=status), 25).get_page(
        request.GET.get("page")
    )
    for order in page:
        _with_actions(order, request=request)
    template = "orders/shop_orders.html#orders-table" if request.htmx else "orders/shop_orders.html"
    return render(
        request,
        template,
        {
            "shop": shop,
            "page": page,
            "status": status,
            "statuses": Order.Status.choices,
            "querystring": f"status={status}" if status else "",
            "new_count": selectors.orders_of_shop(shop=shop, status=Order.Status.PLACED).count(),
        },
    )


@login_required
@require_GET
def shop_order_detail(request, shop_id, order_id):
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    order = selectors.order_for_shop_member(user=request.user, shop=shop, order_id=order_id)
    return render(
        request,
        "orders/shop_order_detail.html",
        {"shop": shop, "order": _with_actions(order, request=request)},
    )


def _after_shop_step(request, shop, order, error: str = "", success: str = ""):
    """htmx: the order's row, redrawn; otherwise back to the order page with a message."""
    if request.htmx:
        order = selectors.order_for_shop_member(user=request.user, shop=shop, order_id=order.pk)
        return render(
            request,
            "orders/shop_orders.html#order-row",
            {"order": _with_actions(order, error, request=request)},
        )
    if error:
        messages.error(request, error)
    elif success:
        messages.success(request, success)
    return redirect("orders:shop_order", shop_id=shop.pk, order_id=order.pk)


@login_required
@require_POST
def shop_order_transition(request, shop_id, order_id):
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    order = selectors.order_for_shop_member(user=request.user, shop=shop, order_id=order_id)
    to_status = request.POST.get("to_status", "")
    note = request.POST.get("note", "").strip()
    refused = _("That step is not possible for this order now.")
    if to_status not in services.shop_actions(order):
        reason = events.refusal("order.moving", order=order, to_status=to_status)
        return _after_shop_step(request, shop, order, error=reason or refused)
    if to_status == Order.Status.REJECTED and not note:
        return _after_shop_step(
            request, shop, order, error=_("Tell the customer why you reject the order.")
        )
    try:
        services.order_transition(order=order, to_status=to_status, actor=request.user, note=note)
    except InvalidTransition as error:
        return _after_shop_step(request, shop, order, error=error.reason or refused)
    success = _("Order %(number)s: %(status)s.") % {
        "number": order.number,
        "status": dict(Order.Status.choices)[to_status],
    }
    return _after_shop_step(request, shop, order, success=success)


@login_required
@require_POST
def shop_order_collect(request, shop_id, order_id):
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    order = selectors.order_for_shop_member(user=request.user, shop=shop, order_id=order_id)
    try:
        services.order_collect_with_code(
            order=order, code=request.POST.get("code", ""), actor=request.user
        )
    except WrongPickupCode as error:
        return _after_shop_step(request, shop, order, error=str(error))
    except InvalidTransition:
        return _after_shop_step(
            request, shop, order, error=_("This order is not ready for pickup.")
        )
    return _after_shop_step(request, shop, order, success=_("Handed over. Thank you!"))


@login_required
@require_GET
def collect_by_code(request):
    """Where the pickup QR code leads: a shop member's phone camera opens the order that is
    ready with this code in one of their shops, to hand it over with one tap."""
    code = request.GET.get("code", "").strip().upper()[:8]
    order = selectors.ready_order_for_code(user=request.user, code=code) if code else None
    if order is None:
        messages.error(request, _("No order ready for pickup has this code in your shops."))
        return redirect("marketplace:profile")
    return redirect("orders:shop_order", shop_id=order.shop_id, order_id=order.pk)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's signed events. A bad signature or an event older than five minutes is
    refused; the same event delivered again changes nothing; a signed event of a shape we
    do not act on is acknowledged and ignored."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise Http404("Card payments are not configured")
    try:
        event = stripe_card.construct_event(request.body, request.headers.get("Stripe-Signature"))
    except (ValueError, stripe.SignatureVerificationError):
        return HttpResponseBadRequest("invalid signature or payload")
    event = stripe_card.session_event(event)
    if event is None:
        # Signed, so Stripe's own; acknowledged, or Stripe would resend it for days only for
        # us to ignore it again.
        logger.warning("Ignored a signed Stripe event of an unexpected shape")
        return _event_received()
    session = event["data"]["object"]
    if session["metadata"].get("pledge_id"):
        # A presale pledge's Checkout session: the loyalty app confirms or lapses it.
        events.ask("presale.card_event", event=event)
    elif event["type"] == "checkout.session.completed" and session.get("payment_status") == "paid":
        services.payment_succeeded(
            provider="card",
            reference=session["id"],
            event_id=event["id"],
            provider_payment_id=session.get("payment_intent") or "",
        )
    elif event["type"] in ("checkout.session.expired", "checkout.session.async_payment_failed"):
        services.payment_failed(provider="card", reference=session["id"], event_id=event["id"])
    return _event_received()


def _event_received() -> HttpResponse:
    return HttpResponse(json.dumps({"received": True}), content_type="application/json")
