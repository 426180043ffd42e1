import re, pytest
from django.urls import reverse
from tests.catalog.test_admin import *

@pytest.mark.django_db
def test_peek(admin_client):
    v = import_definition(document=definition_document(), publish=True)
    c = admin_client.get(reverse("admin:catalog_bundleversion_change", args=[v.pk])).content.decode()
    i = c.index('id="content-main"')
    print(re.sub(r"\n\s*\n+", "\n", c[i:i+6000]))
    r = admin_client.post(reverse(IMPORT_URL), {"definition": json_upload(invalid_document())})
    c = r.content.decode(); i = c.index('id="content-main"')
    print(re.sub(r"\n\s*\n+", "\n", c[i:i+3500]))
    r = run_action(admin_client, "delete_selected", [v])
    print(r.status_code, re.sub(r"\n\s*\n+", "\n", r.content.decode()[r.content.decode().index('id="content"'):][:800]))
