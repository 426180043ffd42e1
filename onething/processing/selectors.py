"""Reads of 一网办理: which adapter serves a department, callback addresses, item cases
an officer may see, and a case's item cases for the citizen."""

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from onething.processing.adapters.base import DepartmentAdapter, registry
from onething.processing.models import DepartmentEndpoint, ItemCase, Officer


def adapter_for(department) -> DepartmentAdapter:
    """The department's adapter; a department with no endpoint works in the workbench."""
    import onething.processing.adapters.http
    import onething.processing.adapters.workbench  # noqa: F401

    try:
        endpoint = department.endpoint  # preloaded with select_related("department__endpoint")
    except DepartmentEndpoint.DoesNotExist:
        endpoint = None
    name = endpoint.adapter if endpoint else DepartmentEndpoint.Adapter.WORKBENCH
    return registry.get(name)(endpoint)


def callback_url(item_case: ItemCase) -> str:
    path = reverse("api-processing-callback", kwargs={"department": item_case.department.code})
    return settings.CALLBACK_BASE_URL.rstrip("/") + path


def officer_of(user) -> Officer | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Officer.objects.filter(user=user).select_related("department").first()


def officer_reads_upload(user, upload) -> bool:
    """An upload reader (onething/apply/uploads.py, registered by ProcessingConfig):
    department officers read the materials of their department's item cases (case materials
    the item needs, and materials supplied for a supplement request); anyone else who is
    not an officer reads a certificate a department officer uploaded for their case."""
    from onething.cases.models import CaseMaterial

    officer = officer_of(user)
    if officer is None:
        return _applicant_of_a_certificate(user, upload)
    for material in CaseMaterial.objects.filter(upload=upload).select_related("case"):
        if ItemCase.objects.filter(
            case=material.case, department=officer.department, item_code__in=material.needed_by
        ).exists():
            return True
    supplied = ItemCase.objects.filter(department=officer.department, case__applicant_id=upload.owner_id)
    return any(m.get("upload") == upload.pk for ic in supplied.only("materials") for m in ic.materials)


def _applicant_of_a_certificate(user, upload) -> bool:
    """A certificate a department officer uploaded belongs to the case's applicant too."""
    issued = ItemCase.objects.filter(case__applicant=user).exclude(certificate={}).only("certificate")
    return any(ic.certificate.get("upload") == upload.pk for ic in issued)


def workbench_queue(*, officer: Officer) -> QuerySet[ItemCase]:
    """Item cases of the officer's department that the department has to work."""
    return (
        ItemCase.objects.filter(
            department=officer.department,
            state__in=[ItemCase.State.RECEIVED, ItemCase.State.IN_PROGRESS, ItemCase.State.SUPPLEMENT],
        )
        .select_related("case__version__bundle")
        .order_by("due_date", "id")
    )


def item_case_for_officer(*, officer: Officer, pk: int) -> ItemCase:
    """An item case of the officer's department; DoesNotExist for any other (404)."""
    return ItemCase.objects.select_related("case", "department").get(pk=pk, department=officer.department)


def item_cases_of_case(case) -> list[ItemCase]:
    return list(ItemCase.objects.filter(case=case).select_related("department").order_by("id"))
