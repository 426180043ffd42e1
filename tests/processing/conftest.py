"""Fixtures for one-network processing: the demo catalogue wired to the department
service (a real HTTP server) and an accepted child-birth case."""

from datetime import date

import pytest
from django.core.management import call_command

ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}
TODAY = date(2026, 11, 16)


@pytest.fixture
def wired_demo(db, settings, live_departments, datahub_settings):
    """load_demo with every http department pointing at the live department service."""
    settings.DEPARTMENT_SERVICE_URL = live_departments.url
    call_command("load_demo", verbosity=0)
    return live_departments


def accepted_case(applicant, *, today: date = TODAY):
    """An online child-birth case, complete, accepted by the Huangpu clerk: item cases exist."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from onething.apply import selectors as apply_selectors
    from onething.apply import services as apply_services
    from onething.apply.uploads import upload_create
    from onething.catalog.selectors import published_version
    from onething.intake import services as intake_services

    version = published_version(bundle_code="child-birth")
    draft = apply_services.draft_start(applicant=applicant, version=version, raw_answers=ANSWERS)
    for material in apply_selectors.notice_materials(version, draft.answers):
        if material.bring and material.required:
            upload = upload_create(
                owner=applicant, file=SimpleUploadedFile(f"{material.key}.pdf", b"%PDF-1.4\n%%EOF\n")
            )
            apply_services.draft_attach(draft=draft, material_key=material.key, upload=upload)
    form = apply_selectors.form_for(version=version, answers=draft.answers)
    case = apply_services.draft_submit(
        draft=draft, raw_data={f.key: f.example() for f in form.fields if f.key not in draft.data}
    )
    clerk = get_user_model().objects.get(username="clerk-huangpu")
    return intake_services.case_accept(case=case, clerk=clerk, today=today)
