"""The department workbench (部门工作台): a department officer's queue of item cases
and the item case page where the officer approves, rejects or asks for a supplement.

Thin: each view reads what the officer typed (:mod:`onething.processing.forms`), calls the
workbench service (:mod:`onething.processing.services`: ``apply_status`` with
``source="workbench"``, the same path a department system's callback takes) or reads
(:mod:`onething.processing.selectors`, the item case in the item's own words), and renders
or redirects. Only officers get in (others 403, anonymous to the login page); an officer
sees the item cases of their own department only (any other is 404, as if it did not
exist). Only item cases of a department whose endpoint is the workbench adapter are
decided here (any other action is 403): a department with its own system decides there,
and its item cases are read-only here. An item case no longer in a state that allows the
action is said on its page (``domain_errors``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from onething.apply.uploads import UploadRejected
from onething.common.access import role_required
from onething.common.error_views import domain_errors
from onething.processing import forms, selectors, services
from onething.processing.models import ItemCase

QUEUE_LIMIT = 300
FILTERS = selectors.QUEUE_FILTERS


# --- access -------------------------------------------------------------------------------


# Department officers only: anonymous users go to the login page, everyone else (citizens,
# clerks, administrators without an officer record) gets 403. The officer record is put on
# ``request.officer``.
officer_required = role_required(
    selectors.officer_of, denied=gettext_lazy("仅部门人员可以使用部门工作台"), attribute="officer"
)

# A refusal of the workbench: 403 (not decided here), or its message on the item case page.
on_detail_page = domain_errors("workbench:detail", "pk")


def _item_case_or_404(request: HttpRequest, pk: int) -> ItemCase:
    try:
        return selectors.item_case_for_officer(officer=request.officer, pk=pk)
    except ItemCase.DoesNotExist as missing:
        raise Http404(_("没有这个子件")) from missing


# --- the queue ------------------------------------------------------------------------------


@require_safe
@officer_required
def queue(request: HttpRequest) -> HttpResponse:
    """The item cases the officer's department has to work, the most urgent first."""
    officer = request.officer
    everything = selectors.workbench_queue(officer=officer)
    shown = request.GET.get("show", "")
    rows = everything.filter(**FILTERS[shown]) if shown in FILTERS else everything
    item_cases = list(rows[: QUEUE_LIMIT + 1])
    return render(
        request,
        "processing/queue.html",
        {
            "officer": officer,
            "item_cases": item_cases[:QUEUE_LIMIT],
            "truncated": len(item_cases) > QUEUE_LIMIT,
            "counts": selectors.workbench_counts(everything),
            "show": shown if shown in FILTERS else "",
            "decides_here": selectors.decides_in_workbench(department_id=officer.department_id),
            "today": timezone.localdate(),
        },
    )


# --- the item case ------------------------------------------------------------------------


@require_safe
@officer_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _item_case_or_404(request, pk))


def _render_detail(request: HttpRequest, item_case: ItemCase, status: int = 200, **extra: Any) -> HttpResponse:
    context = selectors.item_case_detail(item_case=item_case, values=extra.pop("values", {}))
    context |= {"errors": {}, "posted": {}, "officer": request.officer} | extra
    return render(request, "processing/detail.html", context, status=status)


# --- actions --------------------------------------------------------------------------------


def _refused_input(
    request: HttpRequest, item_case: ItemCase, form: forms.WorkbenchForm, message: str, **extra
) -> HttpResponse:
    """The page again (400) with each problem next to its input, and ``message`` on top."""
    messages.error(request, message)
    return _render_detail(request, item_case, 400, errors=form.problems(), **extra)


@require_POST
@officer_required
@on_detail_page
def start(request: HttpRequest, pk: int) -> HttpResponse:
    """开始办理: received → in progress (optional; deciding works from received too)."""
    item_case = _item_case_or_404(request, pk)
    services.workbench_start(item_case=item_case, actor=request.user)
    messages.success(request, _("已开始办理"))
    return redirect("workbench:detail", pk=item_case.pk)


@require_POST
@officer_required
@on_detail_page
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    """准予: the result data of the item's output fields, and optionally a certificate
    (number and/or PDF document); the next items of the case are released by the service."""
    item_case = _item_case_or_404(request, pk)
    services.workbench_require(item_case=item_case, action="approve")
    form = forms.ApproveForm(request.POST, request.FILES, outputs=selectors.output_fields(item_case=item_case))
    if form.is_valid():
        try:
            after = services.workbench_approve(
                item_case=item_case,
                actor=request.user,
                result=form.result(),
                certificate_number=form.certificate_number,
                certificate_file=form.certificate_file,
            )
        except UploadRejected as rejected:
            form.add_error("certificate_file", rejected.message)
        else:
            done = {"item": after.item_name, "number": after.case.number}
            messages.success(request, _("已准予办结：%(item)s（%(number)s）") % done)
            return redirect("workbench:detail", pk=item_case.pk)
    count = _("有 %(n)s 项需要修改") % {"n": len(form.errors)}
    posted = {"certificate_number": form.certificate_number}
    return _refused_input(request, item_case, form, count, values=form.values(), posted=posted, focus="approve")


@require_POST
@officer_required
@on_detail_page
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    """不予批准, with the reason the applicant will read; dependants are cancelled."""
    item_case = _item_case_or_404(request, pk)
    services.workbench_require(item_case=item_case, action="reject")
    form = forms.RejectForm(request.POST)
    if not form.is_valid():
        return _refused_input(request, item_case, form, form.first_error(), posted=form.posted(), focus="reject")
    services.workbench_reject(item_case=item_case, actor=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("已作出不予批准决定，已通知申请人"))
    return redirect("workbench:detail", pk=item_case.pk)


@require_POST
@officer_required
@on_detail_page
def supplement(request: HttpRequest, pk: int) -> HttpResponse:
    """要求补正: what to supply, said once; the time limit pauses until it comes."""
    item_case = _item_case_or_404(request, pk)
    services.workbench_require(item_case=item_case, action="supplement")
    field_names, material_keys = selectors.supplement_choices(item_case=item_case)
    form = forms.SupplementForm(request.POST, field_names=field_names, material_keys=material_keys)
    posted = form.posted()
    if not form.is_valid():
        return _refused_input(request, item_case, form, form.first_error(), posted=posted, focus="supplement")
    services.workbench_ask_supplement(
        item_case=item_case,
        actor=request.user,
        message=form.cleaned_data["message"],
        fields=posted["fields"],
        materials=posted["materials"],
    )
    messages.success(request, _("已要求补正并通知申请人，办理时限暂停计算"))
    return redirect("workbench:detail", pk=item_case.pk)
