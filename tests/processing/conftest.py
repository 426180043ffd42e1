"""Helpers for one-network processing: an accepted case (the ``wired_demo`` fixture, the
demo catalogue wired to the department service, is in tests/conftest.py)."""

from datetime import date

ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}
TODAY = date(2026, 11, 16)


def submitted_case(
    applicant, *, bundle_code: str = "child-birth", answers: dict | None = None, data: dict | None = None
):
    """An online case (child birth unless told), complete (``data`` laid over the examples),
    submitted and waiting for pre-review."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from onething.apply import selectors as apply_selectors
    from onething.apply import services as apply_services
    from onething.apply.uploads import upload_create
    from onething.catalog.selectors import published_version

    version = published_version(bundle_code=bundle_code)
    draft = apply_services.draft_start(applicant=applicant, version=version, raw_answers=answers or ANSWERS)
    for material in apply_selectors.notice_materials(version, draft.answers):
        if material.bring and material.required:
            upload = upload_create(
                owner=applicant, file=SimpleUploadedFile(f"{material.key}.pdf", b"%PDF-1.4\n%%EOF\n")
            )
            apply_services.draft_attach(draft=draft, material_key=material.key, upload=upload)
    form = apply_selectors.form_for(version=version, answers=draft.answers)
    return apply_services.draft_submit(
        draft=draft, raw_data={**{f.key: f.example() for f in form.fields if f.key not in draft.data}, **(data or {})}
    )


def accepted_case(
    applicant,
    *,
    today: date = TODAY,
    bundle_code: str = "child-birth",
    answers: dict | None = None,
    data: dict | None = None,
):
    """An online case (child birth unless told), complete (``data`` laid over the examples),
    accepted by a clerk of the centre it was routed to: item cases exist."""
    from django.contrib.auth import get_user_model

    from onething.apply import selectors as apply_selectors
    from onething.intake import services as intake_services
    from onething.intake.materials import Decision
    from onething.intake.models import MaterialCheck

    case = submitted_case(applicant, bundle_code=bundle_code, answers=answers, data=data)
    clerk = get_user_model().objects.filter(clerk__centre=case.centre).order_by("username").first()
    # what the data hub could not supply online (e.g. an agent's ID card) the clerk sights
    checklist = intake_services.checklist_from_case(case=case)
    for material in apply_selectors.notice_materials(case.version, case.answers):
        if material.required:
            checklist.setdefault(material.key, Decision(outcome=MaterialCheck.Outcome.ORIGINAL_SIGHTED))
    return intake_services.case_accept(case=case, clerk=clerk, checklist=checklist, today=today)
