"""CSRF on every form (issue 7): a POST without a token is refused with 403 on every URL of
the project, for the role that may use it, and every ``<form method="post">`` in the
templates carries the token. Exempt, and documented in docs/security.md:

- ``api-processing-callback``: department systems authenticate each callback with an
  HMAC signature, a timestamp and a nonce, not a cookie (a forged or replayed one is 401);
- ``api-notice``: computes the one-time notice from posted answers, with no
  authentication at all (``authentication_classes = []``): no cookie is read, nothing is
  stored, so there is nothing for a forged request to ride on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.security.matrix import ANONYMOUS, MATRIX, WINDOW_TOKEN
from tests.security.urlwalk import SKIPPED_NAMES, endpoints
from tests.security.world import client_for, resolve

pytestmark = pytest.mark.django_db

CSRF_EXEMPT = {"api-processing-callback", "api-notice"}
# Anonymous visitors post these (login CSRF): they must be protected without a session too.
ANONYMOUS_FORMS = [
    "accounts:login",
    "accounts:signup",
    "accounts:signup-verify",
    "api-accounts-login",
    "api-accounts-signup",
    "api-accounts-signup-verify",
]


def _names() -> list[str]:
    return sorted({e.name for e in endpoints()} | SKIPPED_NAMES)


def _url(name: str, world) -> str:
    probes = MATRIX.get(name)
    kwargs = {k: resolve(v, world) for k, v in probes[0].kwargs.items()} if probes else {}
    if kwargs.get("token") == WINDOW_TOKEN:
        kwargs["token"] = "any-token"  # refused before the view looks at it
    return reverse(name, kwargs=kwargs)


def _user_of(name: str) -> str:
    """A signed-in role that may use the URL (its CSRF check is what matters to them)."""
    probes = MATRIX.get(name, [])
    allowed = sorted(role for probe in probes for role in probe.allowed if role != ANONYMOUS)
    return allowed[0] if allowed else "citizen_a"


def _refused_for_csrf(response) -> bool:
    """403 because of CSRF (Django's middleware, or DRF's session check: its error is in
    ``response.data`` also when rendered as HTML, like the Swagger page's "403 Forbidden")."""
    said = response.content.lower() + str(getattr(response, "data", "")).lower().encode()
    return response.status_code == 403 and b"csrf" in said


@pytest.mark.parametrize("name", [n for n in _names() if n not in CSRF_EXEMPT])
def test_a_post_without_token_is_refused(world, name):
    client = client_for(_user_of(name), world, enforce_csrf_checks=True)
    response = client.post(_url(name, world), {"action": "submit"})
    assert _refused_for_csrf(response), f"POST {name} without a CSRF token: {response.status_code}"


@pytest.mark.parametrize("name", ANONYMOUS_FORMS)
def test_login_and_signup_need_the_token_without_a_session_too(world, name):
    client = client_for(ANONYMOUS, world, enforce_csrf_checks=True)
    response = client.post(reverse(name), {"identity": "x", "password": "y"})
    assert _refused_for_csrf(response), f"anonymous POST {name} without a CSRF token: {response.status_code}"


def test_with_the_token_the_same_post_goes_through(world):
    """Not vacuous: the refusal above is the missing token, not the request."""
    client = client_for("citizen_a", world, enforce_csrf_checks=True)
    token = client.get(reverse("api-accounts-csrf")).cookies["csrftoken"].value
    response = client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    api = client_for("citizen_a", world, enforce_csrf_checks=True)
    token = api.get(reverse("api-accounts-csrf")).cookies["csrftoken"].value
    assert api.post(reverse("api-upload-create"), {}, HTTP_X_CSRFTOKEN=token).status_code == 400


def test_the_exempt_endpoints_are_what_docs_say(world):
    client = client_for("citizen_a", world, enforce_csrf_checks=True)
    callback = client.post(
        reverse("api-processing-callback", kwargs={"department": "public-security"}),
        b'{"event_id": "e", "idempotency_key": "k"}',
        content_type="application/json",
    )
    assert callback.status_code == 401  # no signature
    notice = client.post(reverse("api-notice", kwargs={"code": "child-birth"}), {}, content_type="application/json")
    assert notice.status_code in {200, 400}
    docs = (Path(settings.BASE_DIR) / "docs" / "security.md").read_text(encoding="utf-8")
    for name in CSRF_EXEMPT:
        assert name in docs


FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.IGNORECASE | re.DOTALL)
POST = re.compile(r"""method\s*=\s*["']?post""", re.IGNORECASE)
TOKEN = re.compile(r"{%\s*csrf_token\s*%}|csrfmiddlewaretoken")


def test_every_post_form_in_the_templates_has_the_token():
    root = Path(settings.BASE_DIR) / "templates"
    forms, missing = 0, []
    for template in sorted(root.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for match in FORM.finditer(text):
            if POST.search(match["attrs"]):
                forms += 1
                if not TOKEN.search(match["body"]):
                    line = text[: match.start()].count("\n") + 1
                    missing.append(f"{template.relative_to(root)}:{line}")
    assert forms > 15, "the template scan found too few forms to be right"
    assert not missing, "POST forms without {% csrf_token %}: " + ", ".join(missing)
