"""Shared fixtures, and what keeps pytest-xdist's worker processes apart."""

import os
from urllib.parse import urlsplit, urlunsplit

import pytest

import tests.profiles  # noqa: F401 (loads the Hypothesis profile: dev, ci or thorough)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config, specs):
    """pytest-xdist (``-n``) runs the suite in several worker processes. Each gets, through
    its environment (read by onething.settings when the worker starts), a var/ of its own
    (SQLite files, the filesystem broker's folders, uploads) and, on Redis, the next
    database number after CELERY_BROKER_URL's (Celery and the cache; tests flush it).
    Test databases get a per-worker suffix from pytest-django; services started by
    fixtures listen on free ports."""
    from django.conf import settings

    for index, spec in enumerate(specs):
        name = f"gw{index}"
        spec.env["ONETHING_VAR_DIR"] = str(settings.VAR_DIR / "test-workers" / name)
        if os.environ.get("UPLOAD_ROOT"):
            spec.env["UPLOAD_ROOT"] = str(settings.UPLOAD_ROOT / name)
        for variable in ("CELERY_BROKER_URL", "CACHE_URL"):
            if os.environ.get(variable, "").startswith(("redis://", "rediss://")):
                spec.env[variable] = redis_db_after(os.environ[variable], index)


def redis_db_after(url: str, offset: int) -> str:
    """The Redis URL with its database number increased by ``offset`` (0..15 on a default server)."""
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0) + offset
    if db > 15:
        raise pytest.UsageError(f"{url}: worker {offset} would use Redis database {db}; run fewer workers (-n)")
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def pytest_configure(config):
    """A fast password hasher for tests: the demo loader creates two dozen accounts."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def published_sample(db):
    """The sample bundle, imported and published through the definition format."""
    from onething.catalog.definition.importer import import_definition
    from tests.definitions import sample_definition

    return import_definition(document=sample_definition(), publish=True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: the sign-up throttle counts in it."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def live_datahub(tmp_path_factory):
    """The government data hub as a real HTTP server (its own process and storage)."""
    from tests.services.conftest import start_datahub

    server = start_datahub(tmp_path_factory.mktemp("live-datahub"))
    yield server
    server.stop()


@pytest.fixture
def datahub_settings(live_datahub, settings):
    """Point the engine at the live data hub for one test."""
    settings.DATAHUB_URL = live_datahub.base_url
    settings.DATAHUB_KEY = live_datahub.key
    return live_datahub


@pytest.fixture
def datahub_down(settings):
    """Point the engine at an address where nothing listens."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.DATAHUB_URL = f"http://127.0.0.1:{port}"
    settings.DATAHUB_TIMEOUT = 0.5


@pytest.fixture
def demo_bundles(db):
    """The five demo bundles, loaded and published as `make run` does."""
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)


def make_citizen(person, **extra):
    """A citizen account for a data hub demo identity."""
    from django.contrib.auth import get_user_model

    existing = get_user_model().objects.filter(username=person.id_number).first()
    if existing:  # load_demo already made it
        return existing
    return get_user_model().objects.create_user(
        username=person.id_number,
        password="Citizen-pass-2026",
        id_number=person.id_number,
        full_name=person.name,
        mobile=person.mobile or "",
        role="citizen",
        real_name_verified=True,
        **extra,
    )


@pytest.fixture
def mother(db):
    from services.datahub.demo_identities import MOTHER

    return make_citizen(MOTHER)


@pytest.fixture
def other_citizen(db):
    from services.datahub.demo_identities import CITIZEN

    return make_citizen(CITIZEN)


@pytest.fixture(scope="session")
def live_departments(tmp_path_factory):
    """The department systems as a real HTTP server (own process and storage), delays 0.
    .url (server root), .base_url(code), .secrets {code: secret}, .client(code)."""
    from tests.services.department_fixtures import start_departments

    server = start_departments(tmp_path_factory.mktemp("live-departments"))
    yield server
    server.stop()


@pytest.fixture
def wired_demo(db, settings, live_departments, datahub_settings):
    """load_demo with every http department pointing at the live department service."""
    from django.core.management import call_command

    settings.DEPARTMENT_SERVICE_URL = live_departments.url
    call_command("load_demo", verbosity=0)
    return live_departments


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own on a free port (tests/redis_server.py), stopped after
    it: for tests that restart or flush Redis, never the shared one."""
    from tests.redis_server import REDIS_SERVER, RedisServer

    if REDIS_SERVER is None:
        pytest.skip("needs the redis-server binary")
    server = RedisServer(tmp_path / "redis")
    yield server
    server.stop()
