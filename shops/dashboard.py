"""The frame of the shop's dashboard (shops/dashboard/base.html), shared by the pages other
apps add to it: the counter and presales (loyalty), proposals (governance)."""

from django.shortcuts import render

from . import selectors


def render_dashboard(request, template, context, status=200):
    """Render a dashboard page; the navigation shows owners their extra pages."""
    context.setdefault("role", selectors.member_role(user=request.user, shop=context["shop"]))
    return render(request, template, context, status=status)
