"""站内信: the signed-in user's message centre. Thin: selectors read, services mark read.

Every notification the user got is here (services.notify writes the message), newest first,
unread marked; opening one marks it read; one button marks them all read. Another user's
message is 404 like any object not one's own."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from onething.notifications import selectors, services
from onething.notifications.models import Message

APPLICANT_ROLES = {"citizen", "enterprise"}


def case_link(*, user, case_number: str) -> str:
    """Where the message's case is read by this user: the applicant's case page, the clerk's
    case in the console, the audit log of the case for officers and administrators."""
    if not case_number:
        return ""
    role = getattr(user, "role", "")
    if role in APPLICANT_ROLES and not user.is_staff:
        return reverse("apply:case", kwargs={"number": case_number})
    if role == "clerk":
        return reverse("intake:case", kwargs={"number": case_number})
    return reverse("oversight:audit") + "?" + urlencode({"case": case_number})


@login_required
@require_GET
def message_list(request: HttpRequest) -> HttpResponse:
    rows = [
        {"message": m, "case_link": case_link(user=request.user, case_number=m.case_number)}
        for m in selectors.messages_of(user=request.user)
    ]
    context = {
        "rows": rows,
        "total": selectors.message_count(user=request.user) if len(rows) >= selectors.PAGE_SIZE else len(rows),
        "any_unread": any(row["message"].read_at is None for row in rows),
    }
    return render(request, "notifications/list.html", context)


@login_required
@require_GET
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a message marks it read (as opening a letter does; a GET that may repeat)."""
    try:
        message = services.message_open(user=request.user, message_id=pk)
    except Message.DoesNotExist as missing:
        raise Http404(_("没有这条消息")) from missing
    return render(
        request,
        "notifications/detail.html",
        {"message": message, "case_link": case_link(user=request.user, case_number=message.case_number)},
    )


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.messages_mark_all_read(user=request.user)
    if count:
        flash.success(request, _("已将 %(n)s 条消息标为已读") % {"n": count})
    return redirect("notifications:messages")
