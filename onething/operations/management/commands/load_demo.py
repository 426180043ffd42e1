"""Load the demo: every bundle file in demo/bundles through the import format (published),
and the demo accounts. Safe to run again: a bundle that already has a published version
with the same definition is left alone."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from onething.catalog.definition.errors import DefinitionInvalid
from onething.catalog.definition.importer import import_definition
from onething.catalog.models import BundleVersion
from services.datahub import demo_identities as hub

DEMO_DIR = Path(settings.BASE_DIR) / "demo" / "bundles"
DEMO_PASSWORD = "onething-demo"
CLERK_PASSWORD = "onething-clerk"
CENTRES_FILE = Path(settings.BASE_DIR) / "demo" / "centres.json"
DEPARTMENTS_FILE = Path(settings.BASE_DIR) / "demo" / "departments.json"
OFFICER_PASSWORD = "onething-officer"
ADMIN_PASSWORD = "onething-admin"
# Not "admin", the first name any guesser tries (docs/security.md, login throttling).
ADMIN_USERNAME = "platform-steward"
LEGACY_ADMIN_USERNAME = "admin"  # the demo superuser's name before; renamed on the next load_demo


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    full_name: str
    description: str
    mobile: str = ""
    staff: bool = False
    email: str = ""


# The citizens and the enterprise are identities the data hub knows (services/datahub),
# so their forms prefill and their e-licences attach.
DEMO_ACCOUNTS = [
    DemoAccount(
        ADMIN_USERNAME,
        ADMIN_PASSWORD,
        "admin",
        "系统管理员",
        "管理员 administrator (/admin/)",
        staff=True,
        email="admin@demo.onething.example",  # told of dead-lettered item cases
    ),
    DemoAccount(
        hub.MOTHER.id_number,
        DEMO_PASSWORD,
        "citizen",
        hub.MOTHER.name,
        "市民（新生儿母亲）citizen, mother of a newborn",
        hub.MOTHER.mobile or "",
    ),
    DemoAccount(
        hub.CITIZEN.id_number, DEMO_PASSWORD, "citizen", hub.CITIZEN.name, "市民 citizen", hub.CITIZEN.mobile or ""
    ),
    DemoAccount(hub.ENTERPRISE_CREDIT_CODE, DEMO_PASSWORD, "enterprise", hub.ENTERPRISE_NAME, "企业 enterprise"),
]


class Command(BaseCommand):
    help = "Load the demo catalogue and accounts 加载演示数据"

    def add_arguments(self, parser):
        parser.add_argument("--list-accounts", action="store_true", help="print the demo accounts and exit")

    def handle(self, *args, list_accounts: bool = False, **options):
        if list_accounts:
            for account in DEMO_ACCOUNTS:
                self.stdout.write(f"    {account.username:<20} / {account.password:<15} {account.description}")
            for raw in json.loads(CENTRES_FILE.read_text(encoding="utf-8"))["centres"]:
                for clerk in raw["clerks"]:
                    self.stdout.write(
                        f"    {clerk['username']:<20} / {CLERK_PASSWORD:<15} 窗口人员 clerk, {raw['name']} (/console/)"
                    )
            self.stdout.write(
                f"    {'officer-<department>':<20} / {OFFICER_PASSWORD:<15} 部门人员 officer, e.g. officer-partner-bank"
                " (/workbench/)"
            )
            return
        from django.core.management import call_command

        call_command("seed_workdays", verbosity=0)  # normally done by the migration; idempotent
        files = sorted(DEMO_DIR.glob("*.json"))
        if not files:
            raise CommandError(f"no demo bundles in {DEMO_DIR}")
        for path in files:
            self._load(path)
        self._rename_legacy_admin()
        for account in DEMO_ACCOUNTS:
            self._account(account)
        self._centres()
        self._departments()

    def _departments(self) -> None:
        """How each demo department is reached, and one officer each (demo/departments.json)."""
        from onething.catalog.models import Department
        from onething.processing.models import DepartmentEndpoint, Officer

        raw = json.loads(DEPARTMENTS_FILE.read_text(encoding="utf-8"))
        for entry in raw["endpoints"]:
            department = Department.objects.filter(code=entry["department"]).first()
            if department is None:
                continue
            base_url = f"{settings.DEPARTMENT_SERVICE_URL.rstrip('/')}/departments/{department.code}"
            DepartmentEndpoint.objects.update_or_create(
                department=department,
                defaults={
                    "adapter": entry["adapter"],
                    "secret": entry.get("secret", ""),
                    "base_url": base_url if entry["adapter"] == "http" else "",
                },
            )
            for officer in entry.get("officers", []):
                user = _staff_account(officer, role="officer", password=OFFICER_PASSWORD)
                Officer.objects.update_or_create(user=user, defaults={"department": department})

    def _centres(self) -> None:
        """Service centres and their window clerks, from demo/centres.json."""
        from onething.catalog.models import Bundle
        from onething.intake.models import Clerk, ServiceCentre

        for raw in json.loads(CENTRES_FILE.read_text(encoding="utf-8"))["centres"]:
            centre, _ = ServiceCentre.objects.update_or_create(
                code=raw["code"],
                defaults={
                    "name": raw["name"],
                    "address": raw["address"],
                    "phone": raw["phone"],
                    "is_default": raw["is_default"],
                },
            )
            centre.bundles.set(Bundle.objects.filter(code__in=raw["bundles"]))
            for clerk in raw["clerks"]:
                user = _staff_account(clerk, role="clerk", password=CLERK_PASSWORD)
                Clerk.objects.update_or_create(user=user, defaults={"centre": centre})

    def _rename_legacy_admin(self) -> None:
        """A database loaded before has the demo superuser under its old, guessable name: rename it
        (only the demo account itself, recognised by its demo password)."""
        users = get_user_model().objects
        legacy = users.filter(username=LEGACY_ADMIN_USERNAME, is_superuser=True).first()
        if (
            legacy is None
            or users.filter(username=ADMIN_USERNAME).exists()
            or not legacy.check_password(ADMIN_PASSWORD)
        ):
            return
        legacy.username = ADMIN_USERNAME
        legacy.save(update_fields=["username"])
        self.stdout.write(f"demo superuser renamed: {LEGACY_ADMIN_USERNAME} → {ADMIN_USERNAME}")

    def _account(self, account: DemoAccount) -> None:
        user, created = get_user_model().objects.get_or_create(username=account.username)
        if not created:
            return
        user.role, user.full_name, user.mobile, user.email = (
            account.role,
            account.full_name,
            account.mobile,
            account.email,
        )
        user.is_staff = user.is_superuser = account.staff
        if account.role in {"citizen", "enterprise"}:
            user.id_number, user.real_name_verified = account.username, True
        user.set_password(account.password)
        user.save()

    def _load(self, path: Path) -> None:
        document = json.loads(path.read_text(encoding="utf-8"))
        code = document.get("bundle", {}).get("code")
        if BundleVersion.objects.filter(bundle__code=code, state=BundleVersion.State.PUBLISHED).exists():
            self.stdout.write(f"{path.name}: {code} already published, skipped")
            return
        try:
            version = import_definition(document=document, publish=True)
        except DefinitionInvalid as invalid:
            for problem in invalid.problems:
                self.stderr.write(f"  {problem}")
            raise CommandError(f"{path.name}: {len(invalid.problems)} problem(s)") from invalid
        self.stdout.write(f"{path.name}: {version.bundle.code} v{version.number} published")


def _staff_account(entry: dict, *, role: str, password: str):
    """A demo staff member's account (username, full name), created once with the demo
    password; loading again leaves an existing account as it is."""
    user, created = get_user_model().objects.get_or_create(
        username=entry["username"],
        defaults={"role": role, "full_name": entry["full_name"], "email": f"{entry['username']}@demo.onething.example"},
    )
    if created:
        user.set_password(password)
        user.save()
    return user
