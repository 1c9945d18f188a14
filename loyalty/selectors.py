from django.db.models import QuerySet

from .models import Account, Entry, Level
from .services import level_of, points_earned_in_year


def wallet(*, user) -> dict:
    account = Account.objects.filter(kind=Account.Kind.SUPPORTER_POINTS, user=user).first()
    level = level_of(user)
    earned = points_earned_in_year(user)
    following = Level.objects.filter(threshold__gt=earned).order_by("threshold").first()
    return {
        "balance": account.balance if account else 0,
        "level": level,
        "next_level": following,
        "to_next": (following.threshold - earned) if following else 0,
        "earned_year": earned,
        "progress_pct": int(100 * earned / following.threshold) if following else 100,
    }


def movements(*, user) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(account__kind=Account.Kind.SUPPORTER_POINTS, account__user=user)
        .select_related("transaction__shop")
        .order_by("-transaction__created_at", "-pk")
    )
