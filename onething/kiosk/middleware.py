"""The terminal session's end, checked on every request of a session started at a terminal
(after AuthenticationMiddleware):

- after inactivity: the first request after ``KIOSK_IDLE_SECONDS`` without one (on the
  kiosk's own pages; ``KIOSK_HANDOVER_IDLE_SECONDS`` after a page the kiosk hands over to,
  such as the application form) logs out and goes back to the attract screen;
- on leaving: a request for any page outside the kiosk (``/kiosk/``) and the pages it hands
  over to (``HANDOVER_VIEWS``) logs out first, so the page is answered as for a visitor.

The handed-over pages carry a ``Refresh`` header back to the terminal's start page, so a
terminal left on one of them returns to the attract screen by itself, without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from onething.kiosk import services

KIOSK_NAMESPACE = "kiosk"
# Pages of the citizen's own that the kiosk links to: the form of a draft (its steps, the
# check of the answers, its files), the confirmation and case page the form lands on after
# submission, the documents it prints.
HANDOVER_VIEWS = frozenset(
    {
        "apply:draft",
        "apply:draft-step",
        "apply:draft-check",
        "apply:upload-download",
        "apply:submitted",
        "apply:case",
        "documents:receipt",
        "issuance:notice",
        "notice:notice-pdf",
    }
)


class KioskSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "kiosk_ended", False):
            response.delete_cookie(services.MARKER_COOKIE)
        if getattr(request, "kiosk_handover", False) and response.get("Content-Type", "").startswith("text/html"):
            response["Refresh"] = f"{settings.KIOSK_HANDOVER_IDLE_SECONDS + 1}; url={reverse('kiosk:home')}"
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        match = request.resolver_match
        namespace = match.namespaces[0] if match and match.namespaces else ""
        # Outside the kiosk, only a browser marked at identification is looked at: other
        # requests read no session here (no query added to the site's pages and API).
        if namespace != KIOSK_NAMESPACE and services.MARKER_COOKIE not in request.COOKIES:
            return None
        if not hasattr(request, "session") or request.session.get(services.SESSION_KEY) is None:
            return None
        if services.idle_expired(request=request):
            services.end(request=request, reason="idle")
            request.kiosk_ended = True
            return HttpResponseRedirect(reverse("kiosk:home") + "?ended=idle")
        if namespace == KIOSK_NAMESPACE:
            services.touch(request=request, idle_seconds=settings.KIOSK_IDLE_SECONDS)
        elif match is not None and match.view_name in HANDOVER_VIEWS:
            services.touch(request=request, idle_seconds=settings.KIOSK_HANDOVER_IDLE_SECONDS)
            request.kiosk_handover = True
        else:
            services.end(request=request, reason="left")
            request.kiosk_ended = True
        return None
