"""Every write of the loyalty app. Points (earning, spending, levels, the counter, offers)
and settlement and expiry live in their own modules; presale campaigns in loyalty.presales.
All of them post through ledger.ledger_post."""

from .ledger import (  # noqa: F401
    account_for_shop,
    account_for_supporter,
    ledger_post,
    network_account,
    presale_account_for_supporter,
    presale_liability,
)
from .points import *  # noqa: F401,F403
from .settlement import *  # noqa: F401,F403
