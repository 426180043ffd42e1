"""Reads from the catalogue for the public pages and the API."""

from django.db.models import Q, QuerySet

from onething.catalog.models import Bundle, BundleVersion


def published_versions(*, query: str = "", applicant_type: str = "") -> QuerySet[BundleVersion]:
    """Currently published bundle versions, optionally filtered by keyword and applicant type."""
    versions = (
        BundleVersion.objects.filter(state=BundleVersion.State.PUBLISHED).select_related("bundle").defer("snapshot")
    )
    if applicant_type:
        versions = versions.filter(bundle__applicant_type=applicant_type)
    for word in query.split():
        versions = versions.filter(
            Q(bundle__name__icontains=word)
            | Q(bundle__name_en__icontains=word)
            | Q(bundle__keywords__icontains=word)
            | Q(bundle__summary__icontains=word)
            | Q(bundle__code__icontains=word)
        )
    return versions.order_by("bundle__code")


def published_version(*, bundle_code: str) -> BundleVersion | None:
    """The version new cases of a bundle start on, or None if it has none. Its snapshot
    (the whole definition, tens of KB of JSON) is left unread: the compiled definition is
    cached per process (notice.selectors.compiled_version), which reads it once."""
    return (
        BundleVersion.objects.filter(bundle__code=bundle_code, state=BundleVersion.State.PUBLISHED)
        .select_related("bundle")
        .defer("snapshot")
        .first()
    )


def bundle_by_code(*, code: str) -> Bundle | None:
    return Bundle.objects.filter(code=code).first()
