from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketplace.models import TimeStamped


class Member(TimeStamped):
    """An entry of the cooperative's member register: one member, one vote. A member is a
    shop (its owners vote for it), a couriers' collective, or an individual supporter."""

    class Kind(models.TextChoices):
        SHOP = "shop", _("Member shop")
        COLLECTIVE = "collective", _("Couriers' collective")
        SUPPORTER = "supporter", _("Supporter")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    shop = models.OneToOneField(
        "shops.Shop", on_delete=models.PROTECT, null=True, blank=True, related_name="member"
    )
    collective = models.OneToOneField(
        "logistics.Collective",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="member",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supporter_membership",
    )
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["joined_on", "id"]
        constraints = [
            # Exactly the one party that matches the kind.
            models.CheckConstraint(
                condition=(
                    Q(kind="shop", shop__isnull=False, collective__isnull=True, user__isnull=True)
                    | Q(
                        kind="collective",
                        collective__isnull=False,
                        shop__isnull=True,
                        user__isnull=True,
                    )
                    | Q(
                        kind="supporter",
                        user__isnull=False,
                        shop__isnull=True,
                        collective__isnull=True,
                    )
                ),
                name="member_is_one_party",
            ),
        ]

    def __str__(self):
        return str(self.shop or self.collective or self.user)

    @property
    def is_current(self) -> bool:
        return self.left_on is None


class Proposal(TimeStamped):
    """A question put to the members: a new transaction fee, the admission of an applying
    shop, or a poll. The node's rules (quorum, majority, secret ballot) are copied onto the
    proposal when it opens, so changing the node's settings never changes a running vote."""

    class Kind(models.TextChoices):
        FEE = "fee", _("Transaction fee")
        ADMISSION = "admission", _("Admission of a shop")
        POLL = "poll", _("Poll")

    class Status(models.TextChoices):
        OPEN = "open", _("Voting open")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        DECIDED = "decided", _("Decided")  # a poll with a winning option
        NO_RESULT = "no_result", _("No result")  # quorum missed, or a poll's tie

    class Majority(models.TextChoices):
        SIMPLE = "simple", _("More yes than no votes")
        TWO_THIRDS = "two_thirds", _("At least two thirds of yes and no votes")

    # Closing is the only transition, from open to one of the outcomes.
    TRANSITIONS = {
        Status.OPEN: {Status.ACCEPTED, Status.REJECTED, Status.DECIDED, Status.NO_RESULT},
    }

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    title = models.CharField(_("title"), max_length=160)
    rationale = models.TextField(_("rationale"))
    proposed_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="proposals"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
    )
    opens_at = models.DateTimeField(_("voting opens"))
    closes_at = models.DateTimeField(_("voting closes"))
    # The node's rules, as they were when the proposal opened.
    quorum_percent = models.DecimalField(_("quorum (%)"), max_digits=5, decimal_places=2)
    majority = models.CharField(_("majority"), max_length=12, choices=Majority.choices)
    secret = models.BooleanField(_("secret ballot"))
    # (a) a fee proposal
    fee_percent = models.DecimalField(
        _("new fee (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    effective_on = models.DateField(_("effective from"), null=True, blank=True)
    # (b) an admission
    shop = models.ForeignKey(
        "shops.Shop",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="admission_proposals",
    )
    # The tally, written once when the vote closes.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    electorate = models.PositiveIntegerField(_("members entitled to vote"), null=True, blank=True)
    yes_count = models.PositiveIntegerField(default=0)
    no_count = models.PositiveIntegerField(default=0)
    abstain_count = models.PositiveIntegerField(default=0)
    quorum_reached = models.BooleanField(null=True, blank=True)
    winning_option = models.ForeignKey(
        "PollOption", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-opens_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "closes_at"]),
            models.Index(fields=["kind", "status", "effective_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="fee", fee_percent__isnull=False, effective_on__isnull=False)
                    | Q(kind="admission", shop__isnull=False)
                    | Q(kind="poll")
                ),
                name="proposal_has_its_subject",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="proposal_closes_after_open"
            ),
            # One running admission vote per shop.
            models.UniqueConstraint(
                fields=["shop"],
                condition=Q(kind="admission", status="open"),
                name="one_open_admission_per_shop",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("governance:proposal_detail", kwargs={"proposal_id": self.pk})

    def is_open_at(self, moment) -> bool:
        return self.status == self.Status.OPEN and self.opens_at <= moment < self.closes_at

    @property
    def is_closed(self) -> bool:
        return self.status != self.Status.OPEN

    @property
    def votes_cast(self) -> int:
        return self.yes_count + self.no_count + self.abstain_count


class PollOption(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("option"), max_length=120)
    position = models.PositiveSmallIntegerField(default=0)
    votes = models.PositiveIntegerField(default=0)  # written when the poll closes

    class Meta:
        verbose_name = _("poll option")
        verbose_name_plural = _("poll options")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "label"], name="poll_option_unique"),
        ]

    def __str__(self):
        return self.label


class Vote(models.Model):
    """A member's current vote on a proposal; changed in place until the close."""

    class Choice(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        ABSTAIN = "abstain", _("Abstain")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="votes")
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    choice = models.CharField(_("vote"), max_length=8, choices=Choice.choices, blank=True)
    option = models.ForeignKey(
        PollOption, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cast_at = models.DateTimeField(_("cast at"))
    changed_at = models.DateTimeField(_("last changed"))

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            # One member, one vote: the database refuses a second row.
            models.UniqueConstraint(fields=["proposal", "member"], name="one_vote_per_member"),
            models.CheckConstraint(
                condition=(Q(option__isnull=True) & ~Q(choice=""))
                | (Q(option__isnull=False) & Q(choice="")),
                name="vote_is_a_choice_or_an_option",
            ),
        ]

    def __str__(self):
        return f"{self.member} on {self.proposal_id}"


class ProposalEvent(models.Model):
    """The audit trail: when a proposal opened and closed, and who voted when. It never
    records how anyone voted."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        VOTED = "voted", _("Voted")
        VOTE_CHANGED = "vote_changed", _("Changed their vote")
        CLOSED = "closed", _("Closed")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_status = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("proposal event")
        verbose_name_plural = _("proposal events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["proposal", "created_at"])]

    def __str__(self):
        return f"{self.proposal_id} {self.kind}"


class Comment(models.Model):
    """A contribution to a proposal's discussion."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("comment"), max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["proposal", "created_at"])]

    def __str__(self):
        return f"{self.member}: {self.body[:40]}"


class NoticeboardPost(TimeStamped):
    """Member shops offering and asking each other: share a cargo bike, buy coffee in bulk."""

    class Kind(models.TextChoices):
        OFFER = "offer", _("Offer")
        REQUEST = "request", _("Request")

    class Category(models.TextChoices):
        TRANSPORT = "transport", _("Transport and delivery")
        BUYING = "buying", _("Buying together")
        EQUIPMENT = "equipment", _("Equipment and tools")
        SPACE = "space", _("Space and storage")
        SKILLS = "skills", _("Skills and help")
        OTHER = "other", _("Other")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(_("offer or request"), max_length=8, choices=Kind.choices)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    title = models.CharField(_("title"), max_length=140)
    body = models.TextField(_("details"), max_length=4000)
    expires_on = models.DateField(_("show until"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("noticeboard post")
        verbose_name_plural = _("noticeboard posts")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["expires_on", "category"]),
            models.Index(fields=["-created_at"]),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("governance:notice_detail", kwargs={"post_id": self.pk})


class NoticeboardReply(models.Model):
    post = models.ForeignKey(NoticeboardPost, on_delete=models.CASCADE, related_name="replies")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("reply"), max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.member}: {self.body[:40]}"


class ShopNews(TimeStamped):
    """A short news item on a shop's profile."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="news")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=140)
    body = models.TextField(_("text"), max_length=4000)
    published_at = models.DateTimeField(_("published"))

    class Meta:
        verbose_name = _("shop news")
        verbose_name_plural = _("shop news")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["shop", "-published_at"])]

    def __str__(self):
        return self.title


class ShopEvent(TimeStamped):
    """Something happening at or by a shop, listed on its profile and the town calendar."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="events")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=140)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    location = models.CharField(
        _("where"), max_length=200, blank=True, help_text=_("Leave empty for the shop itself.")
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["starts_at"]),
            models.Index(fields=["shop", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="event_ends_after_start"
            ),
        ]

    def __str__(self):
        return self.title
