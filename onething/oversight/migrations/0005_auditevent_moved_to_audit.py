"""AuditEvent moved to the app onething.audit, its rows and table staying where they are:
oversight forgets the model here (Django's state only, no SQL), and audit.0001 takes it
over with the same table (``oversight_auditevent``) and the triggers of 0003 and 0004."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("oversight", "0004_auditevent_append_only_sqlite")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[],
        )
    ]
