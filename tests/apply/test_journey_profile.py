"""Web CPU and SQL statements per step of the load benchmark's citizen journey (docs/load.md),
in-process: the Django test client, the requests of bench/load_bench.py, a live data hub in
its own process (so the process CPU measured here, prefill's pool threads included, is the
web side's only). With a dump the CPU figures include cProfile's own overhead: take them
from a run without.

Not part of the suite: runs with ``JOURNEY_PROFILE=<journeys>`` (e.g. 200), on PostgreSQL under
the benchmark lock; ``JOURNEY_PROFILE_DUMP=<dir>`` writes one cProfile file per step::

    JOURNEY_PROFILE=200 DATABASE_URL=postgres://postgres@127.0.0.1:5432/onething_x \\
    flock /tmp/bench.lock .venv/bin/python -m pytest -q -s -n 0 -p no:cacheprovider \\
        tests/apply/test_journey_profile.py
"""

import cProfile
import os
import time
from collections import defaultdict
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onething.catalog.models import Bundle
from onething.intake.models import Clerk
from onething.intake.selectors import responsible_centre
from tests.apply.test_load_path import acceptance_checklist

JOURNEYS = int(os.environ.get("JOURNEY_PROFILE", "0"))
DUMP = os.environ.get("JOURNEY_PROFILE_DUMP", "")
ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}
QUERY = "birth_place=local_hospital&married=true&mother_insured=true"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STEPS = ("notice", "draft", "patch", "attach", "submit", "clerk_view", "accept")

pytestmark = [
    pytest.mark.skipif(not JOURNEYS, reason="a profile, not a test: JOURNEY_PROFILE=<journeys>"),
    pytest.mark.django_db(transaction=True),
]


class Meter:
    def __init__(self) -> None:
        self.cpu = defaultdict(float)
        self.queries = defaultdict(int)
        self.profiles = {step: cProfile.Profile() for step in STEPS} if DUMP else {}

    def __call__(self, step, call, *args, **kwargs):
        profile = self.profiles.get(step)
        connection.queries_log.clear()  # a bounded log: a full one would hide the count
        with CaptureQueriesContext(connection) as captured:
            start = time.process_time()
            if profile:
                profile.enable()
            answer = call(*args, **kwargs)
            if profile:
                profile.disable()
            self.cpu[step] += time.process_time() - start
        self.queries[step] += len(captured.captured_queries)
        return answer


def test_profile_journey(client, demo_bundles, datahub_settings, mother):
    from onething.apply.materials import draft_decisions
    from onething.apply.models import Draft

    client.force_login(mother)
    mine = client.post("/api/uploads/", {"file": BytesIO(PDF)}, format="multipart").json()["id"]
    centre = responsible_centre(bundle=Bundle.objects.get(code="child-birth"))
    clerk_user = get_user_model().objects.get(pk=Clerk.objects.filter(centre=centre).values("user")[:1])
    from django.test import Client

    clerk = Client()
    clerk.force_login(clerk_user)
    meter = Meter()
    fill = None
    for n in range(JOURNEYS + 5):
        if n == 5:  # the first journeys warm the process (compiled versions, calendars)
            meter = Meter()
        assert meter("notice", client.get, f"/api/bundles/child-birth/notice/?{QUERY}").status_code == 200
        json = {"content_type": "application/json"}
        draft = meter("draft", client.post, "/api/drafts/", {"bundle": "child-birth", "answers": ANSWERS}, **json)
        assert draft.status_code in (200, 201), draft.content
        body = draft.json()
        if fill is None:
            from onething.apply import selectors

            version = Draft.objects.get(pk=body["id"]).version
            fill = {f.key: f.example() for f in selectors.form_for(version=version, answers=body["answers"]).fields}
        data = {key: value for key, value in fill.items() if key not in body["data"]}
        patched = meter("patch", client.patch, f"/api/drafts/{body['id']}/", {"data": data}, **json)
        assert patched.status_code == 200
        keys = [d.key for d in draft_decisions(Draft.objects.get(pk=body["id"])) if d.can_upload and not d.provided]
        lines = [{"key": key, "upload": mine} for key in keys]
        attached = meter("attach", client.post, f"/api/drafts/{body['id']}/materials/", lines, **json)
        assert attached.status_code == 200
        submitted = meter("submit", client.post, f"/api/drafts/{body['id']}/submit/")
        assert submitted.status_code == 201, submitted.content
        number = submitted.json()["number"]
        detail = meter("clerk_view", clerk.get, f"/api/intake/cases/{number}/")
        checklist = acceptance_checklist(detail.json())
        accepted = meter("accept", clerk.post, f"/api/intake/cases/{number}/accept/", {"checklist": checklist}, **json)
        assert accepted.status_code == 200, accepted.content

    print(f"\njourney profile, {JOURNEYS} journeys, {connection.vendor}")
    print(f"{'step':<11} {'statements':>10} {'web CPU ms':>10}")
    for step in STEPS:
        print(f"{step:<11} {meter.queries[step] / JOURNEYS:>10.1f} {meter.cpu[step] * 1000 / JOURNEYS:>10.2f}")
    citizen = STEPS[:5]
    print(
        f"{'citizen':<11} {sum(meter.queries[s] for s in citizen) / JOURNEYS:>10.1f} "
        f"{sum(meter.cpu[s] for s in citizen) * 1000 / JOURNEYS:>10.2f}"
    )
    for step, profile in meter.profiles.items():
        os.makedirs(DUMP, exist_ok=True)
        profile.dump_stats(os.path.join(DUMP, f"{step}.prof"))
