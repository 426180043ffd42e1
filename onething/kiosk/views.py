"""The terminal's pages under /kiosk/. Thin: identification and the session in ``services``,
what is shown in ``selectors``. Every page works without JavaScript; the keypad and the
inactivity warning (static/js/kiosk.js) only help."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from onething.cases.models import Case
from onething.common.i18n import pick
from onething.kiosk import selectors, services
from onething.kiosk.readers import configured_reader

KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0"]


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    session = services.current(request=request)
    base = {
        "kiosk": session,
        "idle_seconds": settings.KIOSK_IDLE_SECONDS,
        "warning_seconds": min(settings.KIOSK_WARNING_SECONDS, max(settings.KIOSK_IDLE_SECONDS // 2, 1)),
    }
    return render(request, template, base | context, status=status)


def _needs_identification(request: HttpRequest) -> HttpResponse | None:
    if services.current(request=request) is None:
        return HttpResponseRedirect(reverse("kiosk:identify"))
    return None


@require_safe
@never_cache
def home(request: HttpRequest) -> HttpResponse:
    """The attract screen and start page: the bundles as big tiles, identification, and
    (once identified) the citizen's own drafts and cases."""
    ended = request.GET.get("ended", "")
    return _page(request, "kiosk/home.html", {"tiles": selectors.bundle_tiles(), "ended": ended in {"idle", "exit"}})


@sensitive_post_parameters("id_number", "card_data")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def identify(request: HttpRequest) -> HttpResponse:
    """刷身份证: the reader's card read (simulated: the number typed on the keypad)."""
    reader = configured_reader()
    error, status, retry_after = None, 200, None
    if request.method == "POST":
        try:
            services.identify(request=request)
        except services.IdentificationRefused as refused:
            error = pick(refused.message, refused.message_en)
            status = 429 if refused.code == "too_many_attempts" else 400
            retry_after = refused.retry_after_seconds
        else:
            redirect = HttpResponseRedirect(reverse("kiosk:my"))
            services.mark(redirect)
            return redirect
    context = {"reader": reader, "error": error, "keys": KEYPAD}
    response = _page(request, "kiosk/identify.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_safe
@never_cache
def bundle(request: HttpRequest, code: str) -> HttpResponse:
    version = selectors.published(code=code)
    if version is None:
        raise Http404(_("没有这个一件事"))
    context = {"bundle": selectors.bundle_questions(version=version), "errors": [], "answers": {}}
    return _page(request, "kiosk/bundle.html", context)


@require_safe
@never_cache
def notice(request: HttpRequest, code: str) -> HttpResponse:
    """The notice for the answers given, to read and print (the page, or the notice's PDF)."""
    version = selectors.published(code=code)
    if version is None:
        raise Http404(_("没有这个一件事"))
    try:
        shown = selectors.notice_of(version=version, query=request.GET)
    except selectors.invalid_answers_type() as invalid:
        questions = selectors.bundle_questions(version=version)
        given = {q["key"]: request.GET.getlist(q["key"])[:20] for q in questions["questions"]}
        context = {"bundle": questions, "errors": invalid.errors, "answers": given}
        return _page(request, "kiosk/bundle.html", context, status=400)
    context = {"bundle": selectors.bundle_questions(version=version), "query": request.GET.urlencode(), **shown}
    return _page(request, "kiosk/notice.html", context)


@require_safe
@never_cache
def my(request: HttpRequest) -> HttpResponse:
    """The identified citizen's drafts (to continue on the form) and cases with their status."""
    if redirect := _needs_identification(request):
        return redirect
    session = services.current(request=request)
    return _page(request, "kiosk/my.html", selectors.my_things(user=session.user))


@require_safe
@never_cache
def case(request: HttpRequest, number: str) -> HttpResponse:
    if redirect := _needs_identification(request):
        return redirect
    session = services.current(request=request)
    try:
        status = selectors.case_status(user=session.user, number=number[:64])
    except Case.DoesNotExist as missing:
        raise Http404(_("没有这个办件")) from missing
    return _page(request, "kiosk/case.html", status)


@csrf_protect
@require_POST
def keepalive(request: HttpRequest) -> HttpResponse:
    """继续: the citizen is still there (the middleware counted this request as activity)."""
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    target = request.POST.get("next", "")
    return HttpResponseRedirect(target if target.startswith("/kiosk/") else reverse("kiosk:home"))


@csrf_protect
@require_POST
def exit_session(request: HttpRequest) -> HttpResponse:
    """退出 (and the end of the countdown): log out, back to the attract screen."""
    reason = "idle" if request.POST.get("reason") == "idle" else "exit"
    services.end(request=request, reason=reason)
    response = HttpResponseRedirect(reverse("kiosk:home") + f"?ended={reason}")
    services.unmark(response)
    return response
