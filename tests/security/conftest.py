"""The security tests' world: built once per module inside a transaction that is rolled
back when the module ends, so nothing leaks into other tests. Each test still runs in its
own savepoint (the ``db`` fixture), so requests that change things are undone too."""

import pytest
from django.db import transaction
from django.test import override_settings


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, live_departments, live_datahub):
    from tests.security.world import build_world

    wired = override_settings(
        DEPARTMENT_SERVICE_URL=live_departments.url,
        DATAHUB_URL=live_datahub.base_url,
        DATAHUB_KEY=live_datahub.key,
    )
    with django_db_blocker.unblock(), wired:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
