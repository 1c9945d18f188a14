"""Who reacts to what: every subscriber of every domain event, in one place.

Read a topic's list top to bottom to know what happens when it is published. In-transaction
subscribers run in the publisher's transaction, in this order, and may refuse the change;
after-commit subscribers run from the outbox once it is committed, each retried until it
succeeds. Handlers are named by dotted path, so this module imports no app, and every path is
checked when the project starts (marketplace.apps)."""

from .events import after_commit, in_transaction  # noqa: F401  (in_transaction: used below)

SUBSCRIBERS = {
    # Checkout placed a purchase: one order per shop.
    "purchase.placed": [
        after_commit("orders.handlers.email_purchase_placed"),
    ],
    # A shop owner invited someone to the shop's team.
    "shops.team_invited": [
        after_commit("shops.handlers.email_team_invitation"),
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
        after_commit("governance.handlers.announce_proposal_opened"),
    ],
    # A proposal's vote closed and its result was applied.
    "governance.proposal_closed": [
        after_commit("governance.handlers.announce_proposal_result"),
    ],
    # A supporter's card took points or presale value off a bill at a shop's counter.
    "loyalty.card_used": [
        after_commit("loyalty.handlers.email_card_used"),
    ],
    # The nightly run found a supporter's points about to expire (reminded once a month).
    "loyalty.points_expiring": [
        after_commit("loyalty.handlers.email_points_expiring"),
    ],
    # A presale campaign moved to an outcome its supporters hear of (funded, missed,
    # redemption open, cancelled).
    "loyalty.campaign_moved": [
        after_commit("loyalty.handlers.email_campaign_moved"),
    ],
    # A pledge was paid (by card or at the shop's counter).
    "loyalty.pledge_paid": [
        after_commit("loyalty.handlers.email_pledge_receipt"),
    ],
    # A card pledge was refunded or cancelled after its money arrived: Stripe gives it back.
    "loyalty.pledge_card_refund_due": [
        after_commit("loyalty.handlers.refund_pledge_card"),
    ],
    # The nightly run found a supporter holding presale value shortly before redemption ends.
    "loyalty.presale_reminder_due": [
        after_commit("loyalty.handlers.email_presale_reminder"),
    ],
}

# Questions an app asks of an app that depends on it, and the one function that answers.
PROVIDERS: dict[str, str] = {}
