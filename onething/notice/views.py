"""Public pages of the one-time notice: catalogue, bundle questionnaire, notice, PDF.

No login. Thin: parsing answers, picking templates; the notice comes from selectors.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

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
