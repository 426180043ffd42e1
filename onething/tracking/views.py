"""The applicant's pages about submitted cases: 我的申请 and the case page, with the actions
on it (resubmit corrections, answer a supplement request, supply a deferred material).
Thin: tracking.selectors composes the page, each action goes to the stage that owns it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from onething.apply.services import SubmissionInvalid
from onething.apply.uploads import UploadRejected
from onething.cases.models import Case
from onething.intake.models import MaterialCheck
from onething.intake.services import NotAllowed
from onething.processing.models import ItemCase
from onething.tracking import selectors, services
from onething.tracking.confirmation import confirmation


@login_required
def my_applications(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "role", "") == "clerk":
        return redirect("intake:queue")
    return render(request, "apply/my.html", selectors.my_applications(user=request.user))


@login_required
@require_http_methods(["GET", "POST"])
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    """The applicant's case: state, data, materials; when returned, the corrections to make
    and a resubmit form; when accepted, the receipt and deferred materials to supply."""
    try:
        case = selectors.case_of(user=request.user, number=number)
    except Case.DoesNotExist as missing:
        raise Http404(_("没有这个办件")) from missing
    errors: dict = {}
    if request.method == "POST":
        response, errors = _case_action(request, case)
        if response:
            return response
    return render(request, "apply/case.html", selectors.case_context(case=case, errors=errors))


@login_required
@require_http_methods(["GET"])
def case_submitted(request: HttpRequest, number: str) -> HttpResponse:
    """申请已提交: the case number, the committed completion date, deferred materials and
    their deadlines, how the citizen will be told; then the case page."""
    try:
        case = selectors.case_of(user=request.user, number=number)
    except Case.DoesNotExist as missing:
        raise Http404(_("没有这个办件")) from missing
    return render(request, "apply/submitted.html", {"confirmation": confirmation(case=case), "case": case})


def _case_action(request: HttpRequest, case: Case):
    action = request.POST.get("action")
    try:
        if action == "resubmit":
            raw = {key: value for key, value in request.POST.items() if "." in key}
            services.case_resubmit(case=case, applicant=request.user, raw_data=raw, files=request.FILES)
            messages.success(request, _("已重新提交，办件编号不变：%(number)s") % {"number": case.number})
        elif action == "supplement":
            services.supplement_answer(
                case=case,
                applicant=request.user,
                item_case_id=request.POST.get("item_case"),
                raw={k.removeprefix("field__"): v for k, v in request.POST.items() if k.startswith("field__")},
                files=[(name.removeprefix("material__"), upload) for name, upload in request.FILES.items()],
            )
            messages.success(request, _("补正材料已提交，部门将继续办理"))
        elif action == "supply":
            services.deferred_supply(
                case=case,
                applicant=request.user,
                check_id=request.POST.get("check"),
                upload_file=request.FILES.get("file"),
            )
            messages.success(request, _("容缺材料已补交"))
        else:
            return None, {}
    except SubmissionInvalid as invalid:
        messages.error(request, _("有 %(n)s 项需要修改") % {"n": len(invalid.errors)})
        return None, invalid.errors
    except UploadRejected as rejected:
        messages.error(request, rejected.message)
        return None, {}
    except ItemCase.DoesNotExist as missing:  # another case's item case: 404 like any object not one's own
        raise Http404(_("没有这个子件")) from missing
    except MaterialCheck.DoesNotExist as missing:
        raise Http404(_("没有这项材料")) from missing
    except (KeyError, ValueError, NotAllowed):
        messages.error(request, _("无法完成此操作"))
        return None, {}
    return redirect("apply:case", number=case.number), {}
