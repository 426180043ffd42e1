"""The content security policy in the normal (test) configuration, and a guard: no template
may bring back an inline script or an on* event attribute, which the policy would block."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *(ROOT / "onething").glob("*/templates")]


@pytest.mark.django_db
def test_every_page_has_the_policy(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy
    assert "X-Request-ID" in response.headers


def test_report_only_mode(settings):
    from django.http import HttpResponse
    from django.test import RequestFactory

    from onething.common.middleware import ContentSecurityPolicyMiddleware

    settings.CSP_REPORT_ONLY = True
    response = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())(RequestFactory().get("/"))
    assert "Content-Security-Policy-Report-Only" in response.headers
    assert "Content-Security-Policy" not in response.headers


def test_no_inline_scripts_or_event_handlers_in_templates():
    offenders = []
    for directory in TEMPLATE_DIRS:
        for path in directory.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>", text):
                if 'type="application/json"' not in match.group(0):  # data, not code
                    offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
            for match in re.finditer(r"\son[a-z]+\s*=\s*[\"']", text):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0).strip()}")
            if "javascript:" in text:
                offenders.append(f"{path.relative_to(ROOT)}: javascript: URL")
    assert not offenders, "move these into static/js/ (the CSP blocks them):\n" + "\n".join(offenders)
