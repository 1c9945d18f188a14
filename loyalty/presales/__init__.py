"""Presale campaigns: a shop asks its supporters for money now and pays it back later in goods
or services of equal value. The models stay in loyalty.models, beside the ledger they post to;
the background tasks stay in loyalty.tasks."""
