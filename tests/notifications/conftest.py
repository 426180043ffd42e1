"""Fixtures of the notifications tests: users, and Celery running tasks in-process."""

import pytest


@pytest.fixture
def eager_celery():
    """Run Celery tasks in-process (the app read CELERY_* settings at start-up, so set its conf)."""
    from onething.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = saved


@pytest.fixture
def make_user(db):
    from onething.accounts.models import User

    def make(username="citizen-1", *, mobile="", email="", full_name="张三"):
        return User.objects.create_user(username=username, mobile=mobile, email=email, full_name=full_name)

    return make


@pytest.fixture
def full_user(make_user):
    """A user with a mobile number and an e-mail address."""
    return make_user("citizen-full", mobile="13916880001", email="zhang.san@example.com")


@pytest.fixture
def mobile_user(make_user):
    """A user with only a mobile number."""
    return make_user("citizen-mobile", mobile="13916880002")
