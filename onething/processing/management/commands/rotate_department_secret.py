"""Rotate a department's shared secret (docs/department-protocol.md, "Rotating a secret").

    manage.py rotate_department_secret <department code>            # a new secret, printed once
    manage.py rotate_department_secret <department code> --stdin    # the new secret agreed with the department
    manage.py rotate_department_secret <department code> --retire-previous

The current secret becomes the previous one, still accepted on callbacks until retired;
requests to the department are signed with the new one at once. Runs without the system
checks: it is how demo secrets are replaced when the engine refuses to start on them.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from onething.processing import services
from onething.processing.models import DepartmentEndpoint


class Command(BaseCommand):
    help = "Rotate a department's signing secret (current → previous), or retire the previous one."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("department", help="the department's code")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--stdin", action="store_true", help="read the new secret from standard input")
        group.add_argument(
            "--retire-previous", action="store_true", help="stop accepting the previous secret (end of the rotation)"
        )

    def handle(self, *args, department: str, stdin: bool, retire_previous: bool, **options):
        endpoint = DepartmentEndpoint.objects.select_related("department").filter(department__code=department).first()
        if endpoint is None:
            raise CommandError(f"no endpoint for department {department!r} (部门未配置对接)")
        if retire_previous:
            if services.department_secret_retire_previous(endpoint=endpoint):
                self.stdout.write(f"{department}: the previous secret is no longer accepted (上一密钥已停用)")
            else:
                self.stdout.write(f"{department}: there was no previous secret (没有上一密钥)")
            return
        given = sys.stdin.readline().strip() if stdin else None
        try:
            new_secret = services.department_secret_rotate(endpoint=endpoint, new_secret=given)
        except services.SecretRefused as refused:
            raise CommandError(str(refused)) from None
        self.stderr.write(
            f"{department}: rotated; requests are signed with the new secret, callbacks signed with the "
            "previous one are accepted until `--retire-previous` (已轮换)"
        )
        if not stdin:
            self.stdout.write(new_secret)  # shown once: give it to the department over a secure channel
