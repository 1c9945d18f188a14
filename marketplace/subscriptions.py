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
}

# Questions an app asks of an app that depends on it, and the one function that answers.
PROVIDERS: dict[str, str] = {}
