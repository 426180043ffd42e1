"""Hand-built cases and item cases for the dashboard tests: every figure below is
counted by hand in the tests, so the selectors are checked against known numbers."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

D1 = date(2026, 3, 2)  # a Monday
D2 = date(2026, 3, 4)  # the same week
D3 = date(2026, 3, 10)  # the next week


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@dataclass
class World:
    bundle_a: object
    bundle_b: object
    centre_h: object
    centre_x: object
    dept_p: object
    dept_q: object
    cases: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)


def make_case(world, key, *, bundle, channel, centre, day, fields, prefilled, ftr, materials=(), hour=10):
    from django.contrib.auth import get_user_model

    from onething.cases.models import Case, CaseMaterial
    from onething.catalog.models import BundleVersion

    applicant, _ = get_user_model().objects.get_or_create(username=f"dash-{key}", defaults={"role": "citizen"})
    version = BundleVersion.objects.filter(bundle=bundle, state=BundleVersion.State.PUBLISHED).first()
    case = Case.objects.create(
        number=f"DASH-{key}",
        version=version,
        applicant=applicant,
        channel=channel,
        state=Case.State.PROCESSING,
        field_count=fields,
        prefilled_count=prefilled,
        first_time_right=ftr,
        idempotency_key=f"dash-{key}",
        centre=centre,
    )
    Case.objects.filter(pk=case.pk).update(submitted_at=at(day, hour))
    CaseMaterial.objects.bulk_create(
        CaseMaterial(case=case, key=f"m{i}", name=f"材料{i}", source=source) for i, source in enumerate(materials)
    )
    world.cases[key] = case
    return case


def make_item(world, key, *, case, department, state, time_status="normal", age_seconds=0):
    from onething.processing.models import ItemCase

    item = ItemCase.objects.create(
        case=case,
        item_code=f"item-{key}",
        item_name=f"事项{key}",
        department=department,
        state=state,
        committed_days=5,
        idempotency_key=f"dash-item-{key}",
        time_status=time_status,
    )
    ItemCase.objects.filter(pk=item.pk).update(state_changed_at=timezone.now() - timedelta(seconds=age_seconds))
    world.items[key] = item
    return item


def build_world() -> World:
    """Three cases over two bundles, two centres, two departments (needs load_demo)."""
    from onething.catalog.models import Bundle, Department
    from onething.intake.models import ServiceCentre

    world = World(
        bundle_a=Bundle.objects.get(code="child-birth"),
        bundle_b=Bundle.objects.get(code="dog-registration"),
        centre_h=ServiceCentre.objects.get(code="huangpu"),
        centre_x=ServiceCentre.objects.get(code="xuhui"),
        dept_p=Department.objects.order_by("code")[0],
        dept_q=Department.objects.order_by("code")[1],
    )
    c1 = make_case(
        world,
        "c1",
        bundle=world.bundle_a,
        channel="online",
        centre=world.centre_h,
        day=D1,
        fields=10,
        prefilled=8,
        ftr=True,
        materials=["elicence", "datahub", "upload"],
    )
    c2 = make_case(
        world,
        "c2",
        bundle=world.bundle_a,
        channel="window",
        centre=world.centre_x,
        day=D2,
        fields=10,
        prefilled=5,
        ftr=False,
        materials=["deferred", "pledged", "upload"],
    )
    c3 = make_case(
        world,
        "c3",
        bundle=world.bundle_b,
        channel="online",
        centre=world.centre_h,
        day=D3,
        fields=4,
        prefilled=4,
        ftr=True,
        materials=["elicence"],
    )
    p, q = world.dept_p, world.dept_q
    make_item(world, "1p", case=c1, department=p, state="received", time_status="normal")
    make_item(world, "1q", case=c1, department=q, state="approved", time_status="overdue")
    make_item(world, "2p", case=c2, department=p, state="dead_letter", age_seconds=10_000)
    make_item(world, "2q", case=c2, department=q, state="in_progress", time_status="warning")
    make_item(world, "3p", case=c3, department=p, state="dispatching", age_seconds=10_000)  # stuck
    make_item(world, "3q", case=c3, department=q, state="received", age_seconds=100_000)  # silent
    return world
