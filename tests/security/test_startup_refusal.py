"""With DEBUG off the engine refuses to start with demo or weak secrets: a SECRET_KEY
shorter than 50 characters, the demo data hub key, no encryption key for the secrets at
rest (settings, at import: every process), and a demo department secret in the database
(system check onething.E001, and at the start of gunicorn's WSGI module and of Celery).
DEBUG on (make run, the tests) keeps working with the demo values."""

import secrets

import pytest

from tests.ops.test_production_settings import run

GOOD = {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50)}
SETUP = "import django; django.setup()"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": "k"}, "SECRET_KEY is too short or a demo value"),
        ({"SECRET_KEY": "x" * 49}, "SECRET_KEY is too short or a demo value"),
        ({"DATAHUB_KEY": "demo-datahub-key"}, "DATAHUB_KEY is the demo key or empty"),
        ({"DATAHUB_KEY": ""}, "DATAHUB_KEY is the demo key or empty"),
        ({"SECRETS_ENCRYPTION_KEY": None}, "SECRETS_ENCRYPTION_KEY must be set when DEBUG is off"),
        ({"SECRETS_ENCRYPTION_KEY": "not-a-key"}, "SECRETS_ENCRYPTION_KEY: each key is 32 url-safe"),
    ],
)
def test_settings_refuse_weak_or_demo_secrets_with_debug_off(tmp_path, env, message):
    result = run(SETUP, tmp_path=tmp_path, **(GOOD | env))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_a_50_character_key_starts_and_debug_on_runs_with_the_demo_values(tmp_path):
    assert run(SETUP, tmp_path=tmp_path, DEBUG="0", SECRET_KEY="k" * 50).returncode == 0
    development = run(SETUP, tmp_path=tmp_path, DATAHUB_KEY=None, SECRETS_ENCRYPTION_KEY=None)
    assert development.returncode == 0, development.stderr


DEMO_ENDPOINT = """
import django; django.setup()
from onething.catalog.models import Department
from onething.processing.models import DepartmentEndpoint
department = Department.objects.create(code="agriculture", name="农业")
DepartmentEndpoint.objects.create(department=department, adapter="http", secret="demo-agriculture-secret")
"""

CELERY_START = """
import django; django.setup()
from onething.celery import _refuse_demo_secrets, app
class Worker:
    app = app
_refuse_demo_secrets(sender=Worker())
"""


def test_processes_refuse_to_start_with_a_demo_department_secret_until_it_is_rotated(tmp_path):
    env = GOOD | {"ALLOWED_HOSTS": "onething.example.gov.cn"}
    migrated = run(["manage.py", "migrate", "--noinput", "-v", "0"], tmp_path=tmp_path, **env)
    assert migrated.returncode == 0, migrated.stderr
    assert run(DEMO_ENDPOINT, tmp_path=tmp_path, **env).returncode == 0

    wsgi = run("import onething.wsgi", tmp_path=tmp_path, **env)
    assert wsgi.returncode != 0 and "onething.E001" in wsgi.stderr and "agriculture" in wsgi.stderr
    check = run(["manage.py", "check"], tmp_path=tmp_path, **env)
    assert check.returncode != 0 and "onething.E001" in check.stderr
    celery = run(CELERY_START, tmp_path=tmp_path, **env)
    assert celery.returncode != 0 and "onething.E001" in celery.stderr
    assert "demo-agriculture-secret" not in wsgi.stderr + check.stderr + celery.stderr

    # DEBUG on (make run) starts with the demo secret
    assert run("import onething.wsgi", tmp_path=tmp_path, SECRET_KEY=env["SECRET_KEY"]).returncode == 0

    rotated = run(["manage.py", "rotate_department_secret", "agriculture"], tmp_path=tmp_path, **env)
    assert rotated.returncode == 0, rotated.stderr
    # the demo secret is the previous one now, still accepted: still refused until retired
    assert run("import onething.wsgi", tmp_path=tmp_path, **env).returncode != 0
    retired = run(
        ["manage.py", "rotate_department_secret", "agriculture", "--retire-previous"], tmp_path=tmp_path, **env
    )
    assert retired.returncode == 0, retired.stderr
    started = run("import onething.wsgi", tmp_path=tmp_path, **env)
    assert started.returncode == 0, started.stderr
    assert run(CELERY_START, tmp_path=tmp_path, **env).returncode == 0
