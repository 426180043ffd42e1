"""Pages of 统一发证: the applicant's downloads and delivery choice, and the window's
handover desk (pickup with identity check, mail with tracking number)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from onething.apply import selectors as apply_selectors
from onething.cases.models import Case
from onething.intake.models import ServiceCentre
from onething.intake.views import clerk_required
from onething.issuance import documents, selectors, services
from onething.issuance.errors import IssuanceError
from onething.issuance.models import IssuedLicence


def _own_case(request: HttpRequest, number: str) -> Case:
    """The signed-in applicant's case, else 404 (never someone else's)."""
    if not request.user.is_authenticated:
        raise Http404(_("没有这个办件"))
    try:
        return apply_selectors.case_of(user=request.user, number=number)
    except Case.DoesNotExist as missing:
        raise Http404(_("没有这个办件")) from missing


def _applicant_case(request: HttpRequest, number: str) -> Case:
    """The signed-in applicant's concluded case, else 404 (never someone else's)."""
    case = _own_case(request, number)
    if not selectors.results_ready(case=case):
        raise Http404(_("办件尚未办结，还没有办理结果"))
    return case


def _pdf(data: bytes, filename: str, content_type: str = "application/pdf") -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    response["Cache-Control"] = "private, no-store"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def _message(error: IssuanceError) -> str:
    return error.message_en if (get_language() or "").startswith("en") else error.message


@require_GET
def result_notice(request: HttpRequest, number: str) -> HttpResponse:
    case = _applicant_case(request, number)
    services.download_recorded(case=case, user=request.user, what="result_notice")
    return _pdf(documents.result_notice_pdf(case=case), f"{case.number}-结果告知书.pdf")


@require_GET
def results_zip(request: HttpRequest, number: str) -> HttpResponse:
    case = _applicant_case(request, number)
    services.download_recorded(case=case, user=request.user, what="zip")
    return _pdf(documents.results_zip(case=case), f"{case.number}-办理结果.zip", "application/zip")


@require_GET
def licence_document(request: HttpRequest, number: str, licence_id: int) -> HttpResponse:
    case = _applicant_case(request, number)
    try:
        licence = selectors.licence_of(case=case, licence_id=licence_id)
    except IssuedLicence.DoesNotExist as missing:
        raise Http404(_("没有这个证照")) from missing
    services.download_recorded(case=case, user=request.user, what=f"licence:{licence.number}")
    document = bytes(licence.document) if licence.document else documents.licence_pdf(licence)
    return _pdf(document, f"{licence.title}-{licence.filename}")


@require_POST
def delivery_choose(request: HttpRequest, number: str) -> HttpResponse:
    """Change the delivery choice recorded from the application form (any time until the
    handover; results need not be ready)."""
    case = _own_case(request, number)
    centre = ServiceCentre.objects.filter(code=request.POST.get("centre", "")).first()
    try:
        services.delivery_choose(
            case=case,
            applicant=request.user,
            method=request.POST.get("method", ""),
            centre=centre,
            recipient_name=request.POST.get("recipient_name", ""),
            mobile=request.POST.get("mobile", "").strip(),
            address=request.POST.get("address", ""),
        )
    except IssuanceError as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, _("已保存领取方式"))
    return redirect(reverse("apply:case", args=[case.number]) + "#delivery")


# --- the window's handover desk -------------------------------------------------------------


@clerk_required
def handover_find(request: HttpRequest) -> HttpResponse:
    """Type or scan a case number; go to its handover page."""
    number = request.GET.get("number", "").strip()
    if number:
        return redirect("issuance:handover", number=number)
    return render(request, "issuance/handover_find.html", {"clerk": request.clerk})


@clerk_required
def handover(request: HttpRequest, number: str) -> HttpResponse:
    try:
        case = selectors.handover_case(clerk=request.clerk, number=number)
    except Case.DoesNotExist as missing:
        raise Http404(_("本中心没有这个已办结的办件")) from missing
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            _handover_action(request, case)
        except IssuanceError as error:
            errors[request.POST.get("action", "")] = _message(error)
        else:
            return redirect("issuance:handover", number=case.number)
    return render(
        request,
        "issuance/handover.html",
        {
            "clerk": request.clerk,
            "case": case,
            "outcomes": selectors.case_outcomes(case=case),
            "delivery": selectors.delivery_of(case=case),
            "errors": errors,
            "posted": request.POST,
        },
        status=400 if errors else 200,
    )


def _handover_action(request: HttpRequest, case: Case) -> None:
    action = request.POST.get("action")
    if action == "pickup":
        services.pickup_record(
            case=case,
            clerk=request.clerk,
            recipient_name=request.POST.get("recipient_name", ""),
            recipient_id_number=request.POST.get("recipient_id_number", ""),
        )
        messages.success(request, _("已发放，领取记录已保存"))
    elif action == "mail":
        services.mail_record(
            case=case,
            clerk=request.clerk,
            carrier=request.POST.get("carrier", ""),
            tracking_number=request.POST.get("tracking_number", ""),
        )
        messages.success(request, _("已登记寄出信息并通知申请人"))
    else:
        raise IssuanceError("action", "未知操作", "unknown action")
