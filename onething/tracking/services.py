"""The applicant's actions on the case page, each handed to the stage that owns it: the
files are stored as uploads (apply), then corrections go to intake, a supplement answer to
processing, a deferred material to intake."""

from collections.abc import Iterable, Mapping

from django.core.files.uploadedfile import UploadedFile

from onething.apply import services as apply_services
from onething.apply.uploads import upload_create
from onething.cases.models import Case
from onething.intake import services as intake_services
from onething.intake.models import MaterialCheck
from onething.processing import services as processing_services
from onething.processing.models import ItemCase
from onething.tracking import selectors


def case_resubmit(*, case: Case, applicant, raw_data: dict, files: Mapping[str, UploadedFile]) -> Case:
    """退回补正 answered: files posted as ``material__<key>`` are stored, then intake takes the
    corrections (the case goes back to pre-review under the same number)."""
    uploads = {
        name.removeprefix("material__"): upload_create(owner=applicant, file=upload_file)
        for name, upload_file in files.items()
        if name.startswith("material__")
    }
    return intake_services.case_resubmit(case=case, applicant=applicant, raw_data=raw_data, uploads=uploads)


def supplement_answer(
    *, case: Case, applicant, item_case_id, raw: Mapping[str, str], files: Iterable[tuple[str, UploadedFile]]
) -> ItemCase:
    """A department's supplement request (补正) answered: only the fields it asked for
    (apply checks their length), the files as uploads; processing sends them on.
    ItemCase.DoesNotExist for an item case of another case."""
    item_case = selectors.supplement_request(case=case, item_case_id=item_case_id)
    data = apply_services.supplement_data(asked=list((item_case.supplement or {}).get("fields", [])), raw=dict(raw))
    materials = []
    for key, upload_file in files:
        upload = upload_create(owner=applicant, file=upload_file)
        materials.append({"key": key, "upload": upload.pk, "name": upload.original_name, "source": "upload"})
    return processing_services.supplement_supply(
        item_case=item_case, applicant=applicant, data=data, materials=materials
    )


def deferred_supply(*, case: Case, applicant, check_id, upload_file: UploadedFile | None) -> MaterialCheck:
    """A deferred material (容缺) supplied online; intake records it. MaterialCheck.DoesNotExist
    for a check of another case; KeyError when no file came."""
    check = case.material_checks.get(pk=check_id)
    if upload_file is None:
        raise KeyError("file")
    upload = upload_create(owner=applicant, file=upload_file)
    return intake_services.deferred_supply(check=check, by=applicant, upload=upload)
