"""The cooperative's pages. Proposals, results and the transparency page are public;
voting, discussion and the noticeboard are for members; news and events are edited by the
shop's team. Every fetch goes through a permission-checked selector."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.charts import bar_chart
from shops import selectors as shop_selectors
from shops.dashboard import render_dashboard

from . import selectors, services
from .exceptions import GovernanceError, NotAMember
from .forms import (
    ApplicationForm,
    CommentForm,
    EventForm,
    NewsForm,
    NoticeFilterForm,
    NoticeForm,
    ProposalForm,
    ReplyForm,
    VoteForm,
)
from .models import Proposal

AUDIT_ROWS = 100


def _refuse(request, message, status=403):
    return render(request, "governance/refused.html", {"message": message}, status=status)


@require_GET
def cooperative(request):
    """The cooperative in brief; the register of members is for members only."""
    members = selectors.current_members()
    is_member = selectors.user_is_member(user=request.user)
    page = Paginator(members.order_by("joined_on", "id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "governance/cooperative.html",
        {
            "member_count": members.count(),
            "shop_member_count": members.filter(kind="shop").count(),
            "is_member": is_member,
            "my_entries": selectors.member_entries_of(user=request.user),
            "page": page if is_member else None,
            "fee": selectors.fee_in_force(),
            "open_proposals": selectors.proposal_list(status="open")[:5],
            "rules": selectors.node_rules(),
        },
    )


# Proposals -----------------------------------------------------------------------------------
@require_GET
def proposal_list(request):
    status = request.GET.get("status", "open")
    if status not in {"open", "closed"}:
        status = "open"
    page = Paginator(selectors.proposal_list(status=status), 24).get_page(request.GET.get("page"))
    return render(
        request,
        "governance/proposal_list.html",
        {
            "page": page,
            "status": status,
            "querystring": f"status={status}",
            "is_member": selectors.user_is_member(user=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def proposal_new(request):
    members = selectors.members_only(user=request.user)
    kind = request.GET.get("kind") or request.POST.get("kind") or Proposal.Kind.FEE
    if kind not in Proposal.Kind.values:
        kind = Proposal.Kind.FEE
    form = ProposalForm(request.POST or None, kind=kind, members=members)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.proposal_create(user=request.user, **form.service_arguments())
        except GovernanceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your proposal is open for votes."))
            return redirect(proposal)
    now = timezone.now()
    return render(
        request,
        "governance/proposal_new.html",
        {
            "form": form,
            "kind": kind,
            "kinds": Proposal.Kind.choices,
            "rules": selectors.node_rules(),
            "fee": selectors.fee_in_force(now=now),
            "closes_at": services.proposals.voting_closes(now=now),
            "earliest": services.earliest_effective_day(now=now),
        },
        status=400 if form.errors else 200,
    )


def _detail_context(request, proposal):
    members = list(selectors.member_entries_of(user=request.user))
    context = {
        "proposal": proposal,
        "tally": selectors.proposal_tally(proposal=proposal),
        "members": members,
        "my_votes": selectors.votes_of(proposal=proposal, members=members),
        "options": list(proposal.options.all()) if proposal.kind == Proposal.Kind.POLL else [],
        "is_open": proposal.is_open_at(timezone.now()),
        "fee": selectors.fee_in_force() if proposal.kind == Proposal.Kind.FEE else None,
        "is_applicant": proposal.kind == Proposal.Kind.ADMISSION
        and request.user.is_authenticated
        and proposal.author_id == request.user.pk,
    }
    for member in members:
        member.my_vote = context["my_votes"].get(member.pk)
    if members:
        context["comments"] = selectors.proposal_comments(proposal=proposal)
        context["comment_form"] = CommentForm(members=members)
        audit = selectors.proposal_audit(proposal=proposal)
        # The latest entries; a 1,000-member vote would otherwise list 1,000 rows.
        context["audit"] = list(audit.order_by("-created_at", "-pk")[:AUDIT_ROWS])
        context["audit_total"] = audit.count()
        context["open_votes"] = selectors.open_ballot_votes(proposal=proposal)
    return context


@require_GET
def proposal_detail(request, proposal_id):
    proposal = selectors.proposal_get(proposal_id=proposal_id)
    return render(request, "governance/proposal_detail.html", _detail_context(request, proposal))


@login_required
@require_POST
def proposal_vote(request, proposal_id):
    proposal = selectors.proposal_get(proposal_id=proposal_id)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose yes, no or abstain."))
        return redirect(proposal)
    data = form.cleaned_data
    try:
        services.vote_cast(
            proposal_id=proposal.pk,
            user=request.user,
            member_id=data["member"],
            choice=data["choice"],
            option_id=data["option"],
            change=data["change"],
        )
    except NotAMember as error:
        if not request.htmx:
            return _refuse(request, error.message)
        messages.error(request, error.message)
    except GovernanceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your vote is counted. You can change it until the close."))
    if request.htmx:
        # htmx swaps only 2xx answers: the refusal is the message inside the panel.
        proposal.refresh_from_db()
        return render(
            request,
            "governance/proposal_detail.html#vote-panel",
            _detail_context(request, proposal),
        )
    return redirect(proposal)


@login_required
@require_POST
def proposal_comment(request, proposal_id):
    proposal = selectors.proposal_get(proposal_id=proposal_id)
    members = list(selectors.member_entries_of(user=request.user))
    if not members:
        return _refuse(request, NotAMember().message)
    form = CommentForm(request.POST, members=members)
    if not form.is_valid():
        messages.error(request, _("Write something before posting."))
        return redirect(proposal)
    try:
        services.comment_add(
            proposal=proposal,
            user=request.user,
            member_id=form.cleaned_data["member"],
            body=form.cleaned_data["body"],
        )
    except GovernanceError as error:
        messages.error(request, error.message)
    return redirect(f"{proposal.get_absolute_url()}#discussion")


# Joining -------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def apply(request):
    """A public 'apply to join' form: the shop is created applying and the members vote."""
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.shop_application_submit(user=request.user, **form.cleaned_data)
        except GovernanceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Thank you! The members are voting on your application until %(date)s.")
                % {"date": formats.date_format(timezone.localtime(proposal.closes_at))},
            )
            return redirect(proposal)
    return render(
        request,
        "governance/apply.html",
        {
            "form": form,
            "applications": selectors.applications_of(user=request.user),
            "rules": selectors.node_rules(),
        },
        status=400 if form.errors else 200,
    )


# Transparency --------------------------------------------------------------------------------
def _money(value) -> str:
    from djmoney.money import Money

    return str(Money(value, settings.DEFAULT_CURRENCY))


@require_GET
def transparency(request):
    figures = selectors.transparency()

    def month(day):
        return formats.date_format(day, "M Y")

    loyalty = figures["loyalty"]
    settlement_chart = None
    if loyalty and loyalty.get("settlements"):
        rows = sorted(loyalty["settlements"], key=lambda row: row["month"])
        settlement_chart = bar_chart(
            [(month(row["month"]), getattr(row["value"], "amount", row["value"])) for row in rows],
            display=_money,
        )
    return render(
        request,
        "governance/transparency.html",
        {
            **figures,
            "fees_chart": bar_chart(
                [(month(m), v) for m, v in figures["fees_by_month"]], display=_money
            ),
            "fees_total": sum((v for _m, v in figures["fees_by_month"]), 0),
            "settlement_chart": settlement_chart,
        },
    )


# Noticeboard ---------------------------------------------------------------------------------
@login_required
@require_GET
def noticeboard(request):
    selectors.members_only(user=request.user)
    filters = NoticeFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    posts = selectors.notices(
        today=timezone.localdate(),
        category=data.get("category", ""),
        kind=data.get("kind", ""),
    )
    page = Paginator(posts, 24).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "governance/noticeboard.html",
        {"page": page, "filters": filters, "querystring": query.urlencode()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def notice_new(request):
    members = selectors.members_only(user=request.user)
    initial = {"expires_on": timezone.localdate() + datetime.timedelta(days=30)}
    form = NoticeForm(request.POST or None, members=members, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = services.notice_post(
                user=request.user,
                member_id=data["member"],
                kind=data["kind"],
                category=data["category"],
                title=data["title"],
                body=data["body"],
                expires_on=data["expires_on"],
            )
        except GovernanceError as error:
            form.add_error("expires_on", error.message)
        else:
            messages.success(request, _("Your post is on the noticeboard."))
            return redirect(post)
    return render(
        request, "governance/notice_new.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def notice_detail(request, post_id):
    post = selectors.notice_for_member(user=request.user, post_id=post_id)
    members = selectors.members_only(user=request.user)
    form = ReplyForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        try:
            services.notice_reply(
                post=post,
                user=request.user,
                member_id=form.cleaned_data["member"],
                body=form.cleaned_data["body"],
            )
        except GovernanceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your reply is posted."))
            return redirect(post)
    return render(
        request,
        "governance/notice_detail.html",
        {
            "post": post,
            "form": form,
            "is_mine": post.member_id in {m.pk for m in members},
            "is_open": post.closed_at is None and post.expires_on >= timezone.localdate(),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def notice_close(request, post_id):
    post = selectors.notice_for_member(user=request.user, post_id=post_id)
    try:
        services.notice_close(post=post, user=request.user)
    except GovernanceError as error:
        return _refuse(request, error.message)
    messages.success(request, _("The post is closed."))
    return redirect("governance:noticeboard")


# Events calendar -----------------------------------------------------------------------------
@require_GET
def calendar(request):
    today = timezone.localdate()
    try:
        first = datetime.datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        first = today.replace(day=1)
    if not 1900 <= first.year <= 2100:  # months either side must exist
        first = today.replace(day=1)
    last = selectors.months_back(first, -1) - datetime.timedelta(days=1)
    events = list(selectors.town_events(first=first, last=last))
    days: dict[datetime.date, list] = {}
    for event in events:
        day = max(timezone.localdate(event.starts_at), first)
        days.setdefault(day, []).append(event)
    return render(
        request,
        "governance/calendar.html",
        {
            "month": first,
            "days": sorted(days.items()),
            "previous": selectors.months_back(first, 1),
            "next": selectors.months_back(first, -1),
            "today": today,
        },
    )


def _ics_text(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


@require_GET
def calendar_ics(request):
    """The town's events of the coming 90 days as iCalendar, to subscribe to in a calendar app."""
    today = timezone.localdate()
    events = selectors.town_events(first=today, last=today + datetime.timedelta(days=90))
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")

    def utc(moment):
        return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{_ics_text(settings.SITE_NAME)}//events//EN",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:event-{event.pk}@{request.get_host()}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{utc(event.starts_at)}",
            f"DTEND:{utc(event.ends_at)}",
            f"SUMMARY:{_ics_text(event.title)} ({_ics_text(event.shop.name)})",
            f"LOCATION:{_ics_text(event.location or event.shop.address)}",
            f"DESCRIPTION:{_ics_text(event.description)}",
            f"URL:{request.build_absolute_uri(event.shop.get_absolute_url())}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    response = HttpResponse(
        "\r\n".join(lines) + "\r\n", content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="events.ics"'
    return response


# A shop's news and events, from its dashboard ------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def shop_news(request, shop_id):
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    which = request.POST.get("form")
    news_form = NewsForm(request.POST if which == "news" else None, prefix="news")
    event_form = EventForm(request.POST if which == "event" else None, prefix="event")
    if request.method == "POST":
        if which == "news" and news_form.is_valid():
            services.news_save(shop=shop, user=request.user, **news_form.cleaned_data)
            messages.success(request, _("Your news is on your shop's page."))
            return redirect("governance:shop_news", shop_id=shop.pk)
        if which == "event" and event_form.is_valid():
            services.event_save(shop=shop, user=request.user, **event_form.cleaned_data)
            messages.success(request, _("Your event is on the town calendar."))
            return redirect("governance:shop_news", shop_id=shop.pk)
    news = Paginator(selectors.shop_news(shop=shop), 20).get_page(request.GET.get("page"))
    return render_dashboard(
        request,
        "governance/dashboard/news.html",
        {
            "shop": shop,
            "news": news,
            "page": news,
            "events": selectors.shop_events_all(shop=shop)[:50],
            "news_form": news_form,
            "event_form": event_form,
        },
        status=400 if (news_form.errors or event_form.errors) else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def shop_news_edit(request, shop_id, news_id):
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    news = selectors.news_for_member(shop=shop, news_id=news_id)
    if request.method == "POST" and request.POST.get("delete"):
        services.news_delete(news=news)
        messages.success(request, _("The news item is deleted."))
        return redirect("governance:shop_news", shop_id=shop.pk)
    form = NewsForm(request.POST or None, instance=news)
    if request.method == "POST" and form.is_valid():
        services.news_save(shop=shop, user=request.user, news=news, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("governance:shop_news", shop_id=shop.pk)
    return render_dashboard(
        request,
        "governance/dashboard/item_edit.html",
        {"shop": shop, "form": form, "heading": _("Edit news")},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def shop_event_edit(request, shop_id, event_id):
    shop = shop_selectors.shop_for_member(user=request.user, shop_id=shop_id)
    event = selectors.event_for_member(shop=shop, event_id=event_id)
    if request.method == "POST" and request.POST.get("delete"):
        services.event_delete(event=event)
        messages.success(request, _("The event is deleted."))
        return redirect("governance:shop_news", shop_id=shop.pk)
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        services.event_save(shop=shop, user=request.user, event=event, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("governance:shop_news", shop_id=shop.pk)
    return render_dashboard(
        request,
        "governance/dashboard/item_edit.html",
        {"shop": shop, "form": form, "heading": _("Edit event")},
        status=400 if form.errors else 200,
    )
