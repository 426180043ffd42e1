"""The stand-alone services' access logs (services/httpbody.py) mask ID numbers, mobile
numbers and credit codes in paths and query strings, as the engine's log filter does
(services/redaction.py is shared by both)."""

import threading
import urllib.error
import urllib.request

from services.datahub.api import Api
from services.datahub.server import DatahubHTTPServer
from services.datahub.store import Store

ID_NUMBER = "310104199203150469"
MOBILE = "13916880001"
CREDIT_CODE = "91310000MA1FL8XQ3B"


def _get(port: int, path: str) -> None:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read()
    except urllib.error.HTTPError as refused:  # unsigned: 401, logged all the same
        refused.read()


def test_datahub_access_log_masks_id_numbers_mobiles_and_credit_codes(tmp_path, capfd):
    server = DatahubHTTPServer(("127.0.0.1", 0), Api(Store(tmp_path), "test-key"), quiet=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        _get(port, f"/v1/persons/{ID_NUMBER}")
        _get(port, f"/v1/elicences?holder={ID_NUMBER}&mobile={MOBILE}")
        _get(port, f"/v1/enterprises/{CREDIT_CODE}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    log = capfd.readouterr().err
    assert log.count("datahub ") >= 3, log
    for secret in (ID_NUMBER, MOBILE, CREDIT_CODE):
        assert secret not in log
    assert "/v1/persons/3101**********0469" in log
    assert "holder=3101**********0469&mobile=139****0001" in log
    assert "/v1/enterprises/9131**********XQ3B" in log


def test_masks_match_the_engine():
    from onething.identity.masking import mask_id_number, mask_mobile
    from services.redaction import mask_identifiers

    assert mask_identifiers(f"x {ID_NUMBER} y") == f"x {mask_id_number(ID_NUMBER)} y"
    assert mask_identifiers(MOBILE) == mask_mobile(MOBILE)
    # case numbers, references and hex nonces stay readable
    for text in ("YJS20250101000123", "NY-2025-000001", "9f86d081884c7d659a2feaa0c55ad015"):
        assert mask_identifiers(text) == text
