"""Public pages of the one-time notice: catalogue, bundle questionnaire, notice, PDF.

No login. Thin: parsing answers, picking templates; the notice comes from selectors.
"""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from onething.catalog import selectors as catalog_selectors
from onething.catalog.models import BundleVersion
from onething.notice import presentation, selectors
from onething.notice.pdf import cached_notice_pdf


def _published(code: str) -> BundleVersion:
    version = catalog_selectors.published_version(bundle_code=code)
    if version is None:
        raise Http404(_("没有这个一件事"))
    return version


def catalogue(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    applicant_type = request.GET.get("type", "")
    if applicant_type not in {"", "person", "enterprise"}:
        applicant_type = ""
    versions = catalog_selectors.published_versions(query=query, applicant_type=applicant_type)
    bundles = [selectors.bundle_overview(version=v) for v in versions]
    return render(
        request, "notice/catalogue.html", {"bundles": bundles, "query": query, "applicant_type": applicant_type}
    )


def bundle_page(request: HttpRequest, code: str) -> HttpResponse:
    version = _published(code)
    return render(request, "notice/bundle.html", _bundle_context(version, answers={}, errors=[]))


def _bundle_context(version: BundleVersion, *, answers: dict, errors: list) -> dict:
    return {
        "bundle": selectors.bundle_overview(version=version),
        "answers": answers,
        "errors": {error.question: error for error in errors},
        "error_list": errors,
        "reduction_rows": presentation.reduction_labels(),
    }


def _notice_or_errors(request: HttpRequest, version: BundleVersion):
    compiled = selectors.compiled_version(version=version)
    raw = selectors.answers_from_query(compiled=compiled, query=request.GET)
    try:
        return compiled, selectors.notice_for(version=version, raw_answers=raw), None
    except selectors.InvalidAnswers as invalid:
        context = _bundle_context(version, answers=raw, errors=invalid.errors)
        return compiled, None, render(request, "notice/bundle.html", context, status=400)


def notice_page(request: HttpRequest, code: str) -> HttpResponse:
    version = _published(code)
    compiled, notice, error_response = _notice_or_errors(request, version)
    if error_response:
        return error_response
    materials = [
        {
            "line": m,
            "notes": presentation.material_notes(m),
            "items": presentation.item_names(compiled, m.needed_by),
            "form": presentation.form_label(m.form),
        }
        for m in notice.materials
    ]
    context = {
        "bundle": selectors.bundle_overview(version=version),
        "notice": notice,
        "answer_lines": presentation.answer_lines(compiled, notice.answers),
        "materials": materials,
        # what the citizen must do comes first on the page, what the government holds after it
        "materials_to_bring": [m for m in materials if m["line"].bring],
        "materials_held": [m for m in materials if not m["line"].bring],
        "critical_path": presentation.item_names(compiled, notice.critical_path),
        "channels": [presentation.channel_label(c) for c in notice.channels],
        "query": request.GET.urlencode(),
        "reduction_rows": [
            (label, notice.reductions[key]["separate"], notice.reductions[key]["bundle"])
            for key, label in presentation.reduction_labels()
        ],
    }
    return render(request, "notice/notice.html", context)


def notice_pdf_download(request: HttpRequest, code: str) -> HttpResponse:
    version = _published(code)
    compiled, notice, error_response = _notice_or_errors(request, version)
    if error_response:
        return error_response
    document = cached_notice_pdf(version=version, compiled=compiled, notice=notice)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{code}.pdf"'
    return response


ELDERS_COOKIE = "elders"
ELDERS_COOKIE_AGE = 365 * 24 * 3600


@require_POST
def elders_mode(request: HttpRequest) -> HttpResponse:
    """Elders' mode (适老化) on or off, remembered in a cookie; back to the page it was asked on.

    A plain form post from the header, so it works without JavaScript; the base template
    puts ``class="elders"`` on <html> while the cookie says so."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = "/"
    response = HttpResponseRedirect(target, status=303)
    if request.POST.get("elders") == "on":
        response.set_cookie(ELDERS_COOKIE, "1", max_age=ELDERS_COOKIE_AGE, samesite="Lax", httponly=True)
    else:
        response.delete_cookie(ELDERS_COOKIE, samesite="Lax")
    return response


def accessibility_statement(request: HttpRequest) -> HttpResponse:
    """无障碍声明: what was tested against WCAG 2.1 AA, the known gaps, how to report a problem."""
    return render(request, "notice/accessibility.html")
