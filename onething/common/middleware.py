"""Language choice: Chinese unless the person chose English.

Django's LocaleMiddleware would follow the browser's Accept-Language, which turns the
portal English for anyone with an English-language browser. A government portal here is
Chinese first, so only an explicit choice counts: the language switch (a cookie set by
/i18n/setlang/) or ``?lang=en`` on any URL.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

SUPPORTED = {code for code, _ in settings.LANGUAGES}


def chosen_language(request: HttpRequest) -> str:
    for candidate in (request.GET.get("lang"), request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)):
        if candidate in SUPPORTED:
            return candidate
    return settings.LANGUAGE_CODE


class ChosenLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
