"""Load the demo: every bundle file in demo/bundles through the import format (published),
and the demo accounts. Safe to run again: a bundle that already has a published version
with the same definition is left alone."""

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from onething.catalog.definition.errors import DefinitionInvalid
from onething.catalog.definition.importer import import_definition
from onething.catalog.models import BundleVersion

DEMO_DIR = Path(settings.BASE_DIR) / "demo" / "bundles"
DEMO_ACCOUNTS = [
    # (username, password, is_staff, is_superuser, description)
    ("admin", "onething-admin", True, True, "管理员 administrator (/admin/)"),
]


class Command(BaseCommand):
    help = "Load the demo catalogue and accounts 加载演示数据"

    def handle(self, *args, **options):
        files = sorted(DEMO_DIR.glob("*.json"))
        if not files:
            raise CommandError(f"no demo bundles in {DEMO_DIR}")
        for path in files:
            self._load(path)
        for username, password, is_staff, is_superuser, _ in DEMO_ACCOUNTS:
            user, created = get_user_model().objects.get_or_create(username=username)
            if created:
                user.is_staff, user.is_superuser = is_staff, is_superuser
                user.set_password(password)
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
