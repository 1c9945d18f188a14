"""Who reacts to what: every subscriber of every domain event, in one place.

Read a topic's list top to bottom to know what happens when it is published. In-transaction
subscribers run in the publisher's transaction, in this order, and may refuse the change;
after-commit subscribers run from the outbox once it is committed, each retried until it
succeeds. Handlers are named by dotted path, so this module imports no app, and every path is
checked when the project starts (marketplace.apps). `mail=True` marks a subscriber that sends
email: its messages wait on Celery's "mail" queue, served by workers of their own, so a slow
mail server never holds up a refund or a thumbnail, nor they the mail."""

from .events import after_commit, in_transaction  # noqa: F401  (in_transaction: used below)

SUBSCRIBERS = {
    # Checkout placed a purchase: one order per shop; `points`, how many it spends in all.
    "purchase.placed": [
        # The points checkout shared out over the orders leave the customer's account.
        in_transaction("loyalty.handlers.points_spend_for_purchase"),
        after_commit("orders.handlers.email_purchase_placed", mail=True),
    ],
    # Checkout is about to write a purchase (validated and priced, no order written yet);
    # `rides` are its deliveries, one per couriers' collective. In-transaction only.
    "purchase.placing": [
        # One place per ride in the delivery window the customer chose; full refuses.
        in_transaction("logistics.handlers.delivery_windows_reserve_for_purchase"),
    ],
    # An order is about to move (orders' order_transition), before the order's row is locked:
    # whatever moves with the order is locked first, so every path locks job, then order.
    "order.locking": [
        in_transaction("logistics.handlers.lock_delivery_job"),
    ],
    # A checking topic, "may the order make this move?": asked by order_transition before it
    # changes anything, and by shop_actions (events.refusal) to choose the buttons it offers.
    # Its subscribers only read; a refusal's message tells the shop why.
    "order.moving": [
        in_transaction("logistics.handlers.refuse_step_off_the_job"),
    ],
    # The order moved to the status in the topic's name (order_transition), published with the
    # order, the actor, from_status and the new step of its timeline (order_event).
    "order.placed": [  # a card payment went through
        after_commit("orders.handlers.email_order_moved", mail=True),
    ],
    "order.accepted": [
        after_commit("orders.handlers.email_order_moved", mail=True),
    ],
    "order.rejected": [
        in_transaction("logistics.handlers.follow_order"),
        in_transaction("logistics.handlers.release_window_place"),
        in_transaction("loyalty.handlers.return_spent_points"),
        after_commit("orders.handlers.email_order_moved", mail=True),
        after_commit("orders.handlers.refund_card_payment"),
    ],
    "order.cancelled": [
        in_transaction("logistics.handlers.follow_order"),
        in_transaction("logistics.handlers.release_window_place"),
        in_transaction("loyalty.handlers.return_spent_points"),
        after_commit("orders.handlers.email_order_moved", mail=True),
        after_commit("orders.handlers.refund_card_payment"),
    ],
    "order.ready": [
        in_transaction("logistics.handlers.job_for_ready_order"),
        after_commit("orders.handlers.email_order_moved", mail=True),
    ],
    "order.out_for_delivery": [
        in_transaction("logistics.handlers.follow_order"),
        after_commit("orders.handlers.email_order_moved", mail=True),
    ],
    "order.collected": [
        in_transaction("loyalty.handlers.award_points"),
        after_commit("orders.handlers.email_order_moved", mail=True),
    ],
    "order.delivered": [
        in_transaction("loyalty.handlers.award_points"),
        after_commit("orders.handlers.email_order_moved", mail=True),
    ],
    "order.refunded": [
        # Spent points come back first, so taking back earned points sees them.
        in_transaction("loyalty.handlers.return_spent_points"),
        in_transaction("loyalty.handlers.reverse_earned_points"),
        after_commit("orders.handlers.email_order_moved", mail=True),
    ],
    # A card payment arrived for an order the unpaid timeout had already cancelled
    # (orders' payment_succeeded): the money goes back.
    "order.paid_when_cancelled": [
        after_commit("orders.handlers.refund_card_payment"),
    ],
    # A shop owner invited someone to the shop's team.
    "shops.team_invited": [
        after_commit("shops.handlers.email_team_invitation", mail=True),
    ],
    # A shop added a product photo: its thumbnail is made by a worker.
    "shops.photo_added": [
        after_commit("shops.handlers.make_photo_thumbnail"),
    ],
    # A shop deleted a product photo: its files go once the row is gone for good.
    "shops.photo_deleted": [
        after_commit("shops.handlers.delete_photo_files"),
    ],
    # A shop started a product import too large to apply while it waits.
    "shops.import_started": [
        after_commit("shops.handlers.apply_product_import"),
    ],
    # A member opened a proposal: the vote runs from now.
    "governance.proposal_opened": [
        after_commit("governance.handlers.announce_proposal_opened", mail=True),
    ],
    # A proposal's vote closed and its result was applied.
    "governance.proposal_closed": [
        after_commit("governance.handlers.announce_proposal_result", mail=True),
    ],
    # A supporter's card took points or presale value off a bill at a shop's counter.
    "loyalty.card_used": [
        after_commit("loyalty.handlers.email_card_used", mail=True),
    ],
    # The nightly run found a supporter's points about to expire (reminded once a month).
    "loyalty.points_expiring": [
        after_commit("loyalty.handlers.email_points_expiring", mail=True),
    ],
    # A presale campaign moved to an outcome its supporters hear of (funded, missed,
    # redemption open, cancelled).
    "loyalty.campaign_moved": [
        after_commit("loyalty.handlers.email_campaign_moved", mail=True),
    ],
    # A pledge was paid (by card or at the shop's counter).
    "loyalty.pledge_paid": [
        after_commit("loyalty.handlers.email_pledge_receipt", mail=True),
    ],
    # A card pledge was refunded or cancelled after its money arrived: Stripe gives it back.
    "loyalty.pledge_card_refund_due": [
        after_commit("loyalty.handlers.refund_pledge_card"),
    ],
    # The nightly run found a supporter holding presale value shortly before redemption ends.
    "loyalty.presale_reminder_due": [
        after_commit("loyalty.handlers.email_presale_reminder", mail=True),
    ],
}

# Questions an app asks of an app that depends on it, and the one function that answers.
PROVIDERS: dict[str, str] = {
    # Orders (the cart, checkout, the shop's order page) asks logistics about delivery.
    "delivery.delivers_to": "logistics.quotes.delivers_to",
    "delivery.window_offers": "logistics.quotes.window_offers_by_collective",
    "delivery.quote": "logistics.quotes.ride_quote",
    "delivery.window_booked": "logistics.quotes.window_booked",
    "delivery.live_pickup": "logistics.selectors.live_pickup_of",
    # Checkout asks governance which platform fee the members' vote set.
    "platform.fee_in_force": "governance.selectors.fee_in_force",
    # Checkout asks loyalty how many points a customer may spend, and on one order.
    "points.usable_on": "loyalty.selectors.points_usable_on",
    "points.order_cap": "loyalty.services.max_discount_points",
    # The card webhook (orders') hands Stripe events about a presale pledge to loyalty.
    "presale.card_event": "loyalty.presales.services.pledge_stripe_event",
}
