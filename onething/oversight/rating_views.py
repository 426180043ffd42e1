"""Pages of 好差评 and 整改.

Citizens post ratings, confirmations and rejections from the rating panel on their own
case page (``{% case_rating_panel case user %}``); each post redirects back there. Staff
handle rectifications at /oversight/rectifications/: officers their department's, clerks
their centre's (window ratings), administrators see all and handle the administrators'
ones. Everyone else gets 403 there; an object outside one's scope is 404.

Thin: :mod:`onething.oversight.ratings` decides everything.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from onething.cases.models import Case
from onething.common.access import role_required
from onething.common.errors import DomainError
from onething.identity.masking import mask_mobile
from onething.oversight import rating_selectors as selectors
from onething.oversight import ratings
from onething.oversight.models import Rating, Rectification

LIST_LIMIT = 300


def _case_page(number: str) -> str:
    return reverse("apply:case", args=[number]) + "#ratings"


# --- citizen ------------------------------------------------------------------------------


@require_POST
@login_required
def rate(request: HttpRequest, number: str) -> HttpResponse:
    """Submit or change the rating of one target of the user's own case."""
    try:
        case = Case.objects.get(number=number, applicant=request.user)
    except Case.DoesNotExist as missing:
        raise Http404(_("没有这个办件")) from missing
    key = request.POST.get("target", "")
    level, comment = request.POST.get("level"), request.POST.get("comment", "")
    try:
        target = ratings.target_for(case=case, key=key)
        existing = Rating.objects.filter(case=case, target=target.kind, department=target.department).first()
        if existing is None:
            rating = ratings.rating_submit(case=case, citizen=request.user, target=key, level=level, comment=comment)
            message = _("感谢您的评价：%(target)s “%(level)s”")
        else:
            rating = ratings.rating_update(rating=existing, citizen=request.user, level=level, comment=comment)
            message = _("评价已修改：%(target)s “%(level)s”")
        messages.success(request, message % {"target": target.label, "level": rating.get_level_display()})
        if rating.is_bad and rating.rectifications.filter(state__in=ratings.RUNNING).exists():
            messages.info(request, _("我们已通知责任方当日与您联系并限期整改，整改答复将显示在本页。"))
    except DomainError as refused:  # a Refused, or NotAllowed
        messages.error(request, refused.text)
    return redirect(_case_page(case.number))


def _own_rectification(request: HttpRequest, pk: int) -> Rectification:
    try:
        return selectors.rectification_of_applicant(user=request.user, pk=pk)
    except Rectification.DoesNotExist as missing:
        raise Http404(_("没有这个整改")) from missing


@require_POST
@login_required
def rectification_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    rectification = _own_rectification(request, pk)
    try:
        ratings.confirm(rectification=rectification, citizen=request.user)
        messages.success(request, _("您已确认整改结果，谢谢。"))
    except DomainError as refused:  # a Refused, or NotAllowed
        messages.error(request, refused.text)
    return redirect(_case_page(rectification.case.number))


@require_POST
@login_required
def rectification_reject(request: HttpRequest, pk: int) -> HttpResponse:
    rectification = _own_rectification(request, pk)
    try:
        ratings.reject(rectification=rectification, citizen=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("已将您的意见转告责任方，请等待重新答复。"))
    except DomainError as refused:  # a Refused, or NotAllowed
        messages.error(request, refused.text)
    return redirect(_case_page(rectification.case.number))


# --- staff --------------------------------------------------------------------------------


# Officers, clerks and administrators; anonymous users to the login page; others 403.
staff_required = role_required(
    lambda user: True if selectors.is_rectification_staff(user) else None,
    denied=gettext_lazy("仅部门人员、窗口人员和管理员可以查看整改"),
)


def _rectification_or_404(request: HttpRequest, pk: int) -> Rectification:
    try:
        return selectors.rectification_for(user=request.user, pk=pk)
    except Rectification.DoesNotExist as missing:
        raise Http404(_("没有这个整改")) from missing


@require_safe
@staff_required
def rectification_list(request: HttpRequest) -> HttpResponse:
    """The rectifications the user may see, newest first; overdue and late contact flagged."""
    everything = selectors.rectifications_for(user=request.user)
    shown = request.GET.get("show", "")
    rows = list(selectors.filtered(rows=everything, show=shown)[: LIST_LIMIT + 1])
    return render(
        request,
        "oversight/ratings/rectification_list.html",
        {
            "rectifications": rows[:LIST_LIMIT],
            "truncated": len(rows) > LIST_LIMIT,
            "counts": selectors.counts(rows=everything),
            "show": shown if shown in selectors.FILTERS else "",
            "today": timezone.localdate(),
        },
    )


@require_safe
@staff_required
def rectification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rectification = _rectification_or_404(request, pk)
    may_handle = selectors.may_handle(user=request.user, rectification=rectification)
    applicant = rectification.case.applicant
    return render(
        request,
        "oversight/ratings/rectification_detail.html",
        {
            "rectification": rectification,
            "rating": rectification.rating,
            "case": rectification.case,
            "may_handle": may_handle,
            # the handler must call the citizen the same day; anyone else sees it masked
            "applicant_name": applicant.full_name or applicant.username,
            "applicant_mobile": applicant.mobile if may_handle else mask_mobile(applicant.mobile),
            "history": selectors.history(rectification=rectification),
            "today": timezone.localdate(),
        },
    )


def _staff_step(request: HttpRequest, pk: int, step) -> HttpResponse:
    rectification = _rectification_or_404(request, pk)
    if not selectors.may_handle(user=request.user, rectification=rectification):
        raise PermissionDenied(_("只有责任部门（或服务中心）的工作人员可以办理该整改"))
    try:
        step(rectification)
    except DomainError as refused:  # a Refused, or NotAllowed
        messages.error(request, refused.text)
    return redirect("oversight:rectification", pk=rectification.pk)


@require_POST
@staff_required
def rectification_contact(request: HttpRequest, pk: int) -> HttpResponse:
    def step(rectification: Rectification) -> None:
        ratings.contact(rectification=rectification, by=request.user, note=request.POST.get("note", ""))
        if rectification.contact_late:
            messages.warning(request, _("已记录联系情况（未在整改开启当日联系，已标记）。"))
        else:
            messages.success(request, _("已记录联系情况。"))

    return _staff_step(request, pk, step)


@require_POST
@staff_required
def rectification_respond(request: HttpRequest, pk: int) -> HttpResponse:
    def step(rectification: Rectification) -> None:
        ratings.respond(rectification=rectification, by=request.user, response=request.POST.get("response", ""))
        messages.success(request, _("整改答复已提交，已通知群众确认。"))

    return _staff_step(request, pk, step)
