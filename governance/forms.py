"""Input shapes. The services check the cooperative's rules; these check the form."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import NoticeboardPost, Proposal, ShopEvent, ShopNews, Vote
from .selectors import node_rules


class ActingForMixin:
    """A choice of which member the person acts for, shown only when they have several."""

    def add_member_field(self, members):
        choices = [(m.pk, f"{m} ({m.get_kind_display()})") for m in members]
        widget = forms.Select if len(choices) > 1 else forms.HiddenInput
        self.fields["member"] = forms.TypedChoiceField(
            label=_("Acting for"),
            choices=choices,
            coerce=int,
            widget=widget,
            initial=choices[0][0] if choices else None,
        )


class ProposalForm(ActingForMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    rationale = forms.CharField(
        label=_("Rationale"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Why should the members say yes? Facts and figures help."),
    )

    def __init__(self, *args, kind: str, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.add_member_field(members)
        rules = node_rules()
        if kind == Proposal.Kind.FEE:
            self.fields["fee_percent"] = forms.DecimalField(
                label=_("New fee (%)"),
                min_value=rules.fee_min,
                max_value=rules.fee_max,
                max_digits=5,
                decimal_places=2,
                help_text=_("Between %(low)s %% and %(high)s %%, as the node allows.")
                % {"low": rules.fee_min, "high": rules.fee_max},
            )
            self.fields["effective_on"] = forms.DateField(
                label=_("Effective from"),
                widget=forms.DateInput(attrs={"type": "date"}),
                help_text=_("At the earliest the day after voting ends."),
            )
        elif kind == Proposal.Kind.ADMISSION:
            from .selectors import applying_shops_without_vote

            self.fields["shop"] = forms.ModelChoiceField(
                label=_("Applying shop"),
                queryset=applying_shops_without_vote(),
                empty_label=None,
            )
        else:
            self.fields["options"] = forms.CharField(
                label=_("Options"),
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=_("One option per line, at least two."),
            )

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        arguments = {
            "kind": self.kind,
            "member_id": data["member"],
            "title": data["title"],
            "rationale": data["rationale"],
        }
        if self.kind == Proposal.Kind.FEE:
            arguments.update(fee_percent=data["fee_percent"], effective_on=data["effective_on"])
        elif self.kind == Proposal.Kind.ADMISSION:
            arguments["shop_id"] = data["shop"].pk
        else:
            arguments["options"] = data["options"].splitlines()
        return arguments


class VoteForm(forms.Form):
    """What a vote posts: the member, yes/no/abstain or a poll option, and whether it
    replaces the member's earlier vote. The service checks all of it."""

    member = forms.IntegerField()
    choice = forms.ChoiceField(choices=Vote.Choice.choices, required=False)
    option = forms.IntegerField(required=False)
    change = forms.BooleanField(required=False)


class CommentForm(ActingForMixin, forms.Form):
    body = forms.CharField(
        label=_("Your contribution"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_member_field(members)


class ApplicationForm(forms.Form):
    name = forms.CharField(label=_("Shop name"), max_length=120)
    description = forms.CharField(
        label=_("About your shop"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What you sell, where it comes from, why you want to join. Members read this."),
    )
    street = forms.CharField(label=_("Street and number"), max_length=160)
    postcode = forms.CharField(label=_("Postcode"), max_length=12)
    city = forms.CharField(label=_("City"), max_length=80)
    email = forms.EmailField(label=_("Shop email"), required=False)
    phone = forms.CharField(label=_("Shop phone"), max_length=40, required=False)


class NoticeForm(ActingForMixin, forms.ModelForm):
    class Meta:
        model = NoticeboardPost
        fields = ["kind", "category", "title", "body", "expires_on"]
        widgets = {
            "kind": forms.RadioSelect,
            "body": forms.Textarea(attrs={"rows": 5}),
            "expires_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_member_field(members)
        # Radio buttons need no empty choice; the list says what to do instead of "------".
        self.fields["kind"].choices = NoticeboardPost.Kind.choices
        self.fields["category"].choices = [
            ("", _("Choose a category")),
            *NoticeboardPost.Category.choices,
        ]


class ReplyForm(ActingForMixin, forms.Form):
    body = forms.CharField(
        label=_("Your reply"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_member_field(members)


class NoticeFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("All categories")), *NoticeboardPost.Category.choices],
        required=False,
    )
    kind = forms.ChoiceField(
        label=_("Offers or requests"),
        choices=[("", _("Both")), *NoticeboardPost.Kind.choices],
        required=False,
    )


class NewsForm(forms.ModelForm):
    class Meta:
        model = ShopNews
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}


class EventForm(forms.ModelForm):
    class Meta:
        model = ShopEvent
        fields = ["title", "description", "starts_at", "ends_at", "location"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "ends_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    # A market day or a repair café, not a season: longer things are news.
    MAX_DAYS = 14

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and (self.instance.pk is None or "starts_at" in self.changed_data):
            if starts < timezone.now() - datetime.timedelta(hours=1):
                self.add_error(
                    "starts_at", _("The calendar is for coming events: choose a date ahead.")
                )
        if starts and ends:
            if ends < starts:
                self.add_error("ends_at", _("The event must end after it starts."))
            elif ends - starts > datetime.timedelta(days=self.MAX_DAYS):
                self.add_error(
                    "ends_at",
                    _("An event lasts at most %(days)s days; post longer things as news.")
                    % {"days": self.MAX_DAYS},
                )
        return data
