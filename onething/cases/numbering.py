"""Case numbers people can read out: bundle code, date and a daily sequence, e.g.
``CHILD-BIRTH-20261128-0042``."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from onething.cases.models import CaseSequence


def next_case_number(*, bundle_code: str) -> str:
    """Hand out the next number for today (Asia/Shanghai); safe under concurrency: the
    increment is one conditional UPDATE on the day's row."""
    day = timezone.localdate()
    with transaction.atomic():
        CaseSequence.objects.get_or_create(bundle_code=bundle_code, day=day)
        CaseSequence.objects.filter(bundle_code=bundle_code, day=day).update(last=F("last") + 1)
        last = CaseSequence.objects.get(bundle_code=bundle_code, day=day).last
    return f"{bundle_code.upper()}-{day:%Y%m%d}-{last:04d}"
