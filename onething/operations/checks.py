"""System checks of the engine (registered in OperationsConfig.ready), and the refusal to start
that gunicorn (onething/wsgi.py) and Celery (onething/celery.py) run, since neither runs
Django's system checks.

onething.E001: with DEBUG off, a department endpoint holds a demo secret (current or
previous). onething.E002: a stored secret cannot be decrypted (a wrong
SECRETS_ENCRYPTION_KEY). The secrets read from the environment (SECRET_KEY, DATAHUB_KEY,
SECRETS_ENCRYPTION_KEY) are refused earlier, by the settings themselves
(onething/common/secret_policy.py).
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

from onething.common.secret_policy import is_demo_secret


def department_secret_errors(app_configs=None, **kwargs) -> list[checks.Error]:
    if settings.DEBUG:
        return []  # make run and the demo use the demo secrets
    from onething.common.secretbox import UndecryptableSecret
    from onething.processing.models import DepartmentEndpoint

    try:
        endpoints = list(DepartmentEndpoint.objects.select_related("department").order_by("department__code"))
    except UndecryptableSecret as wrong:
        return [checks.Error(str(wrong), hint="SECRETS_ENCRYPTION_KEY", id="onething.E002")]
    except DatabaseError:
        return []  # not migrated yet (`migrate` runs the checks before it migrates)
    return [
        checks.Error(
            f"department {endpoint.department.code}: the {field.replace('_', ' ')} is a demo value "
            f"(部门 {endpoint.department.code} 的签名密钥为演示值)",
            hint=f"manage.py rotate_department_secret {endpoint.department.code}",
            obj=endpoint,
            id="onething.E001",
        )
        for endpoint in endpoints
        for field in ("secret", "previous_secret")
        if getattr(endpoint, field) and is_demo_secret(getattr(endpoint, field))
    ]


def refuse_to_start() -> None:
    """Raise ImproperlyConfigured when a check above fails (DEBUG off): the web and worker
    processes do not start with demo department secrets."""
    errors = department_secret_errors()
    if errors:
        raise ImproperlyConfigured(
            "refusing to start (拒绝启动): "
            + "; ".join(f"{error.msg} [{error.id}; fix: {error.hint}]" for error in errors)
        )


def register() -> None:
    checks.register(department_secret_errors, checks.Tags.security)
