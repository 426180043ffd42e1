"""The API docs (Swagger UI) come from the project's own static files: no CDN in the page,
in its start-up script, nor in the Content-Security-Policy of any page."""

import re

import pytest

pytestmark = pytest.mark.django_db

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


def test_swagger_ui_references_only_local_static_assets(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assets = ASSET.findall(html)
    assert any(a.startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/"), f"external asset {asset}"
        assert not asset.startswith("//"), f"protocol-relative asset {asset}"
    assert "cdn" not in html.lower()
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "http://" not in script.content.decode() and "https://" not in script.content.decode()


def test_swagger_ui_assets_are_served(client):
    html = client.get("/api/docs/").content.decode()
    for asset in ASSET.findall(html):
        if asset.startswith("/static/"):
            response = client.get(asset)
            assert response.status_code == 200, asset


@pytest.mark.parametrize("path", ["/api/docs/", "/", "/accounts/login/"])
def test_content_security_policy_names_no_external_host(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    assert "http:" not in policy and "https:" not in policy and "cdn" not in policy.lower(), policy
    sources = {word for part in policy.split(";") for word in part.split()[1:]}
    assert sources <= {"'self'", "'none'", "'unsafe-inline'", "data:"}, sources
