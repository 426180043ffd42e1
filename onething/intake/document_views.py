"""Downloads of the intake documents (receipt, refusal notice, correction notice) as
inline PDFs. Only the case's applicant and the clerks of the case's centre may read them;
for anyone else the case does not exist (404, not 403)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from onething.cases.models import Case
from onething.intake import documents, selectors
from onething.intake.models import CorrectionRequest


def _visible_case(request: HttpRequest, number: str) -> Case:
    case = Case.objects.select_related("version__bundle", "applicant", "owner", "centre").filter(number=number).first()
    if case is None or not _may_read(request.user, case):
        raise Http404(_("没有这个办件"))
    return case


def _may_read(user, case: Case) -> bool:
    if case.applicant_id == user.pk:
        return True
    clerk = selectors.clerk_of(user)
    return clerk is not None and case.centre_id is not None and clerk.centre_id == case.centre_id


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_safe
@never_cache
@login_required
def receipt_download(request: HttpRequest, number: str) -> HttpResponse:
    """受理回执: once the case has been accepted."""
    case = _visible_case(request, number)
    if case.accepted_at is None:
        raise Http404(_("该办件尚未受理"))
    return _pdf(documents.receipt_pdf(case=case), f"receipt-{case.number}.pdf")


@require_safe
@never_cache
@login_required
def refusal_download(request: HttpRequest, number: str) -> HttpResponse:
    """不予受理通知书: only for a refused case."""
    case = _visible_case(request, number)
    if case.state != Case.State.REFUSED:
        raise Http404(_("该办件未被不予受理"))
    return _pdf(documents.refusal_pdf(case=case), f"refusal-{case.number}.pdf")


@require_safe
@never_cache
@login_required
def correction_download(request: HttpRequest, number: str, round: int) -> HttpResponse:
    """补正告知书 of one return round."""
    case = _visible_case(request, number)
    correction = CorrectionRequest.objects.filter(case=case, round=round).select_related("clerk").first()
    if correction is None:
        raise Http404(_("没有这次补正告知"))
    correction.case = case
    return _pdf(documents.correction_pdf(correction=correction), f"correction-{case.number}-{round}.pdf")
