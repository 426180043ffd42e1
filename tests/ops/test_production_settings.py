"""Production settings, each in a fresh interpreter with DEBUG off: refusal without a
secret key, `check --deploy`, security headers, CSP, hashed static files from WhiteNoise."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Warnings of `check --deploy` that are decisions documented in docs/operations.md:
# W008 SECURE_SSL_REDIRECT off (the TLS proxy redirects), W021 no HSTS preload.
DOCUMENTED_DEPLOY_WARNINGS = {"security.W008", "security.W021"}
FERNET_KEY = "x2xRNU1qIe2hHVK4lFnmX7fCnIRZyy4U0BDcwYzTHho="  # a test key (secrets encrypted at rest)


def run(code_or_args, *, tmp_path, **env: str | None) -> subprocess.CompletedProcess:
    """A fresh interpreter; an env value None leaves the variable unset."""
    environment = {
        key: value
        for key, value in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE: set by the browser tests in this process, an error for --deploy
        if key
        not in {
            "SECRET_KEY",
            "DEBUG",
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "LOG_FORMAT",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "DATAHUB_KEY",
            "SECRETS_ENCRYPTION_KEY",
        }
    }
    # the other secrets a production start needs (tests/security/test_startup_refusal.py)
    environment.update(DATAHUB_KEY=secrets.token_urlsafe(32), SECRETS_ENCRYPTION_KEY=FERNET_KEY)
    environment.update(DJANGO_SETTINGS_MODULE="onething.settings", ONETHING_VAR_DIR=str(tmp_path), **env)
    environment = {key: value for key, value in environment.items() if value is not None}
    args = [sys.executable, "-c", code_or_args] if isinstance(code_or_args, str) else [sys.executable, *code_or_args]
    return subprocess.run(args, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("secret", [None, "", "insecure-dev-key-change-me"])
def test_refuses_to_start_without_a_secret_key(tmp_path, secret):
    env = {"DEBUG": "0"} if secret is None else {"DEBUG": "0", "SECRET_KEY": secret}
    result = run("import django; django.setup()", tmp_path=tmp_path, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set in the environment when DEBUG is off" in result.stderr


def test_starts_with_a_secret_key_and_debug_default_needs_none(tmp_path):
    ok = run("import django; django.setup()", tmp_path=tmp_path, DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50))
    assert ok.returncode == 0, ok.stderr
    development = run("import django; django.setup()", tmp_path=tmp_path)  # make run: DEBUG on, no key
    assert development.returncode == 0, development.stderr


def test_check_deploy_has_only_the_documented_warnings(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        tmp_path=tmp_path,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="onething.example.gov.cn",
    )
    assert result.returncode == 0, result.stderr
    found = set(re.findall(r"\((security\.\w+|[a-z_]+\.[EW]\d+)\)", result.stderr + result.stdout))
    assert found == DOCUMENTED_DEPLOY_WARNINGS, result.stderr


PROBE = r"""
import json, django
django.setup()
from django.core.management import call_command
call_command("collectstatic", "--noinput", verbosity=0)
from django.test import Client
from django.test.utils import setup_test_environment
client = Client()
page = client.get("/accounts/login/", secure=True, HTTP_HOST="onething.example.gov.cn")
html = page.content.decode()
import re
script = re.search(r'src="(/static/js/site\.[0-9a-f]{12}\.js)"', html)
static = client.get(script.group(1), secure=True, HTTP_HOST="onething.example.gov.cn") if script else None
docs = client.get("/api/docs/", secure=True, HTTP_HOST="onething.example.gov.cn")
csrf = page.cookies.get("csrftoken")
print(json.dumps({
    "status": page.status_code,
    "headers": dict(page.headers),
    "hashed_script": script.group(1) if script else None,
    "static_status": static.status_code if static else None,
    "static_headers": dict(static.headers) if static else {},
    "csrf_cookie_secure": bool(csrf and csrf["secure"]),
    "docs_status": docs.status_code,
    "docs_csp": docs.headers.get("Content-Security-Policy", ""),
    "docs_inline_script": "<script>" in docs.content.decode(),
}))
"""


@pytest.fixture(scope="module")
def production_probe(tmp_path_factory):
    """One run of a DEBUG-off process: collectstatic into its own directory, then requests."""
    tmp_path = tmp_path_factory.mktemp("production")
    result = run(
        PROBE,
        tmp_path=tmp_path,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="onething.example.gov.cn",
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_security_headers_with_debug_off(production_probe):
    headers = production_probe["headers"]
    assert production_probe["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert production_probe["csrf_cookie_secure"]


def test_content_security_policy_with_debug_off(production_probe):
    policy = dict(
        part.strip().split(" ", 1) for part in production_probe["headers"]["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    # the API docs (Swagger UI from our static files) load their start-up script as a file, not inline
    assert production_probe["docs_status"] == 200
    assert "'unsafe-inline'" not in production_probe["docs_csp"].split("script-src", 1)[1].split(";")[0]
    assert not production_probe["docs_inline_script"]


def test_hashed_compressed_static_files_with_debug_off(production_probe):
    assert production_probe["hashed_script"], "the page should link the manifest (hashed) name"
    assert production_probe["static_status"] == 200
    assert "max-age=315360000" in production_probe["static_headers"]["Cache-Control"]
