"""The department systems as the engine meets them: a real process, signed HTTP both ways, callbacks, failures."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from pypdf import PdfReader
from stdnum.cn import ric, uscc

from services.department.config import ConfigError, load_config, parse_config
from services.department.templates import Context, TemplateError, compile_template
from services.protocol import signing
from services.protocol.client import DepartmentClient, DepartmentPermanentError, DepartmentTransientError
from tests.services import department_fixtures
from tests.services.department_fixtures import (
    DEFAULT_CONFIG,
    ROOT,
    CallbackReceiver,
    DepartmentProcess,
    start_departments,
)

# the fixtures of department_fixtures, made visible to pytest in this module
departments = department_fixtures.departments
spawn_departments = department_fixtures.spawn_departments
make_receiver = department_fixtures.make_receiver
receiver = department_fixtures.receiver

BIRTH = {
    "child_name": "张小宝",
    "child_gender": "female",
    "child_birth_date": "2026-10-03",
    "child_birth_place": "上海市第一妇婴保健院",
    "mother_name": "李丽",
    "mother_id_number": "310104199203150028",
}

SPECIAL_CONFIG: dict[str, Any] = {
    "format": "onething.departments/1",
    "defaults": {"delay": 0, "callback": {"attempts": 4, "backoff_seconds": 0.05, "timeout_seconds": 2}},
    "departments": {
        "registry": {
            "name": "测试登记局",
            "secret": "registry-secret-0001",
            "items": {
                "licence": {
                    "name": "测试许可",
                    "certificate": {
                        "type": "test_licence",
                        "title": "测试许可证",
                        "number": "TL{year}{seq:06d}",
                        "holder": "{data.id_number}",
                    },
                    "outputs": {"licence_number": "{certificate.number}", "holder_copy": "{data.id_number}"},
                },
                "needs-more": {
                    "supplement_rate": 1.0,
                    "supplement": {"message": "请补充房产证明", "fields": ["address"], "materials": ["property-proof"]},
                    "outputs": {"address": "{data.address}"},
                },
                "always-no": {"outcome": "reject", "reject_reason": "不符合办理条件"},
                "required": {"required_data": ["name"], "max_supplements": 0, "outputs": {"greeting": "{data.name}"}},
                "coin": {"reject_rate": 0.5, "outputs": {"n": "{randint(1, 1000000)}"}},
            },
        },
        "flaky": {"secret": "flaky-secret-0001", "failures": {"http_5xx": 1.0}, "items": {"x": {}}},
        "dropper": {
            "secret": "dropper-secret-0001",
            "failures": {"drop_callback": 1.0},
            "items": {"x": {"outputs": {"n": "{seq}"}}},
        },
        "slow": {
            "secret": "slow-secret-0001",
            "failures": {"timeout": 1.0},
            "timeout_seconds": 2.5,
            "items": {"x": {}},
        },
    },
}

_keys = iter(range(10**9))


def key(prefix: str = "k") -> str:
    """A fresh idempotency key."""
    return f"{prefix}-{time.time_ns()}-{next(_keys)}"


def submit(client: DepartmentClient, item_code: str, data: dict | None = None, **extra: Any) -> dict[str, Any]:
    fields = {
        "idempotency_key": key(),
        "case_number": "YJS20261128000001",
        "item_code": item_code,
        "item_case_id": next(_keys),
        "data": data if data is not None else {},
        **extra,
    }
    return client.submit(**fields)


def poll(client: DepartmentClient, reference: str, state: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        item_case = client.get(reference)
        if item_case["state"] == state:
            return item_case
        if time.monotonic() > deadline:
            pytest.fail(f"{reference} stayed {item_case['state']}, expected {state}")
        time.sleep(0.05)


def signed_request(
    server: DepartmentProcess,
    department: str,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    secret: str | None = None,
    now: float | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """A hand-signed request, to test what the client would never send."""
    target = f"/departments/{department}{path}"
    signed = headers or signing.sign_headers(
        secret or server.secrets[department], department, method, target, body, now=now
    )
    return requests.request(method, server.url + target, data=body or None, headers=signed, timeout=5)


@pytest.fixture(scope="module")
def special(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A second service with test departments: supplements, rejections, 503s, dropped callbacks, slow answers."""
    server = start_departments(tmp_path_factory.mktemp("special-departments"), config=SPECIAL_CONFIG)
    yield server
    server.stop()


# -- signing, templates and configuration (in-process) -------------------------------------------------


def test_signature_roundtrip_and_refusals() -> None:
    body = b'{"a": 1}'
    headers = signing.sign_headers("s3cret", "tax", "POST", "/departments/tax/v1/item-cases?x=1", body)
    seen = signing.NonceCache()
    lower = {name.lower(): value for name, value in headers.items()}  # header names are case-insensitive
    assert signing.verify("s3cret", lower, "POST", "/departments/tax/v1/item-cases?x=1", body, seen) is None
    assert signing.verify("s3cret", headers, "POST", "/departments/tax/v1/item-cases?x=1", body, seen) == (
        "replayed_nonce"
    )
    fresh = signing.sign_headers("s3cret", "tax", "POST", "/p", body)
    assert signing.verify("other", fresh, "POST", "/p", body, seen) == "bad_signature"
    assert signing.verify("s3cret", fresh, "POST", "/p", b"{}", seen) == "bad_signature"
    assert signing.verify("s3cret", fresh, "POST", "/p?x=2", body, seen) == "bad_signature"
    assert signing.verify("s3cret", fresh, "POST", "/p", body, seen, department="hrss") == "department_mismatch"
    old = signing.sign_headers("s3cret", "tax", "GET", "/p", now=time.time() - 301)
    assert signing.verify("s3cret", old, "GET", "/p", b"", seen) == "stale_timestamp"
    assert signing.verify("s3cret", {}, "GET", "/p", b"", seen) == "missing_signature"
    short = signing.sign_headers("s3cret", "tax", "GET", "/p", nonce="abc")
    assert signing.verify("s3cret", short, "GET", "/p", b"", seen) == "bad_nonce"
    # the test vector of docs/department-protocol.md
    vector = signing.sign_headers(
        "demo-public-security-secret",
        "public-security",
        "GET",
        "/departments/public-security/v1/item-cases/GA20261128000001",
        now=1795000000,
        nonce="0123456789abcdef0123456789abcdef",
    )
    assert vector[signing.HEADER_SIGNATURE] == "3db2b05dfdce05e6d6c0b5e4ad2b9f9258c0cceae28b7efd717c9444dcf49bd2"
    # the documented canonical text, computed independently
    stamp, nonce = fresh[signing.HEADER_TIMESTAMP], fresh[signing.HEADER_NONCE]
    text = f"{stamp}\n{nonce}\nPOST\n/p\n{hashlib.sha256(body).hexdigest()}"
    assert fresh[signing.HEADER_SIGNATURE] == hmac.new(b"s3cret", text.encode(), hashlib.sha256).hexdigest()


def test_template_language() -> None:
    context = Context(seq=42, today=date(2026, 11, 28), reference="GA1", data={"name": "王五", "born": "2026-10-01"})
    render = lambda source: compile_template(source).render(context)  # noqa: E731
    assert render("CSYX{year}{seq:08d}") == "CSYX202600000042"
    assert render("{data.missing|data.name}/{today+3}/{today-28}/{{x}}") == "王五/2026-12-01/2026-10-31/{x}"
    person = render("{resident_id(310104, data.born, 'male')}")
    assert ric.is_valid(person) and person.startswith("31010420261001") and int(person[16]) % 2 == 1
    assert uscc.is_valid(render("{credit_code(310115)}"))
    assert len(render("{digits(6)}")) == 6 and 1 <= int(render("{randint(1, 9)}")) <= 9
    for bad in (
        "{__import__('os')}",
        "{data}",
        "{seq.__class__}",
        "{nope(1)}",
        "{seq",
        "{randint(1)}",
        "{certificate.x}",
    ):
        with pytest.raises(TemplateError):
            compile_template(bad)


def test_configuration_is_validated_with_the_json_path() -> None:
    good = {"departments": {"d": {"secret": "x", "items": {"i": {"outputs": {"a": "{seq}"}}}}}}
    assert parse_config(good).departments["d"].items["i"].outputs["a"].source == "{seq}"
    cases = [
        ({"departments": {"d": {"items": {}}}}, "$.departments.d.secret"),
        ({"departments": {"d": {"secret": "x", "failures": {"http_5xx": 2}}}}, "failures.http_5xx"),
        ({"departments": {"d": {"secret": "x", "items": {"i": {"outputs": {"a": "{oops}"}}}}}}, "outputs.a"),
        ({"departments": {"d": {"secret": "x", "items": {"i": {"outputs": {"a": "{result.b}", "b": "1"}}}}}}, "a"),
        (
            {"departments": {"d": {"secret": "x", "items": {"i": {"certificate": {"type": "t", "number": "N"}}}}}},
            "number",
        ),
        ({"departments": {"d": {"secret": "x", "delay": [2, 1]}}}, "delay"),
        ({"departments": {"D!": {"secret": "x"}}}, "D!"),
    ]
    for document, where in cases:
        with pytest.raises(ConfigError) as refused:
            parse_config(document)
        assert where in str(refused.value).split(":")[0], refused.value


def test_default_configuration_covers_every_demo_item() -> None:
    config = load_config(DEFAULT_CONFIG)
    for path in sorted((ROOT / "demo" / "bundles").glob("*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        outputs = {}
        for item in bundle["items"]:
            configured = config.departments[item["department"]].items[item["code"]]
            assert list(configured.outputs) == [f["name"] for f in item["output"]["fields"]], item["code"]
            certificate_type = item["output"].get("certificate_type")
            assert (configured.certificate.type if configured.certificate else None) == certificate_type
            outputs[item["code"]] = set(configured.outputs)
        for dependency in bundle["bundle"]["version"]["dependencies"]:
            for mapping in dependency["mappings"]:
                assert mapping["output"] in outputs[dependency["upstream"]], (path.name, mapping)


# -- the protocol over HTTP --------------------------------------------------------------------------------


def test_health_is_unsigned(departments: DepartmentProcess) -> None:
    assert requests.get(f"{departments.url}/health", timeout=5).json() == {"status": "ok"}


def test_submit_is_approved_with_signed_callback_certificate_and_outputs(
    departments: DepartmentProcess, receiver: CallbackReceiver
) -> None:
    client = departments.client("health-commission")
    created = submit(client, "birth-certificate-issue", BIRTH, callback_url=receiver.url, materials=[
        {"key": "mother-id-card", "name": "母亲身份证", "source": "elicence", "licence_number": "SFZ1", "url": None}
    ])  # fmt: skip
    assert created["created"] is True and created["state"] == "received" and created["reference"].startswith("WJ")
    event = receiver.event_for(created["reference"], "approved")
    callback = next(c for c in receiver.received if c.payload["event_id"] == event["event_id"])
    assert callback.error is None and callback.headers[signing.HEADER_DEPARTMENT] == "health-commission"
    assert callback.path == "/callbacks/department?source=pytest"  # the query is part of what is signed
    number = event["certificate"]["number"]
    assert number.startswith(f"CSYX{date.today().year}") and event["result"]["certificate_number"] == number
    assert event["result"]["issue_date"] and event["certificate"]["type"] == "birth_medical_certificate"
    assert event["certificate"]["holder_name"] == "张小宝"
    assert event["idempotency_key"] == created["idempotency_key"]
    assert event["item_case_id"] == created["item_case_id"]
    assert event["reason"] is None and event["supplement"] is None
    assert (
        event["certificate"]["pdf_url"] == f"{departments.base_url('health-commission')}/v1/certificates/{number}.pdf"
    )
    polled = client.get(created["reference"])  # polling sees the same final state
    assert polled["state"] == "approved" and polled["result"] == event["result"]
    assert polled["certificate"] == event["certificate"]


def test_dependent_outputs_follow_the_demo_mappings(departments: DepartmentProcess) -> None:
    police = departments.client("public-security")
    household = poll(police, submit(police, "newborn-household-registration", BIRTH)["reference"], "approved")
    citizen = household["result"]["citizen_id_number"]
    assert ric.is_valid(citizen) and citizen[6:14] == "20261003" and int(citizen[16]) % 2 == 0
    assert household["certificate"]["holder"] == citizen
    regulator = departments.client("market-regulation")
    company = submit(regulator, "enterprise-establishment-registration", {"enterprise_name": "上海一件事科技有限公司"})
    assert uscc.is_valid(poll(regulator, company["reference"], "approved")["result"]["credit_code"])


def test_same_idempotency_key_gives_one_item_case(departments: DepartmentProcess) -> None:
    client = departments.client("tax")
    fields = {
        "idempotency_key": key("dup"),
        "case_number": "YJS1",
        "item_code": "new-taxpayer-invoice",
        "item_case_id": "ic-1",
        "data": {"enterprise_name": "甲公司"},
    }
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: client.submit(**fields), range(6)))
    assert len({answer["reference"] for answer in answers}) == 1
    assert sorted(answer["created"] for answer in answers) == [False] * 5 + [True]
    again = client.submit(**{**fields, "data": {"enterprise_name": "改了"}})  # a retry, whatever its data
    assert again["created"] is False and again["reference"] == answers[0]["reference"]
    with pytest.raises(DepartmentPermanentError) as conflict:
        client.submit(**{**fields, "item_case_id": "ic-2"})
    assert conflict.value.status == 409 and conflict.value.code == "idempotency_conflict"
    with sqlite3.connect(departments.data_dir / "departments.sqlite3") as conn:
        count = conn.execute("SELECT COUNT(*) FROM item_cases WHERE idempotency_key = ?", (fields["idempotency_key"],))
        assert count.fetchone()[0] == 1


def test_unknown_item_and_malformed_bodies_are_permanent(departments: DepartmentProcess) -> None:
    client = departments.client("tax")
    with pytest.raises(DepartmentPermanentError) as unknown:
        submit(client, "birth-certificate-issue")  # another department's item
    assert unknown.value.status == 422 and unknown.value.code == "unknown_item"
    assert unknown.value.message and unknown.value.message_en
    for body, code in [
        (b"not json", "invalid_json"),
        (b"[]", "invalid_body"),
        (json.dumps({"case_number": "1", "item_code": "x", "item_case_id": 1, "data": {}}).encode(), "missing_field"),
        (
            json.dumps(
                {"idempotency_key": "a", "case_number": "1", "item_code": "x", "item_case_id": 1, "data": []}
            ).encode(),
            "invalid_field",
        ),
        (
            json.dumps(
                {
                    "idempotency_key": "a",
                    "case_number": "1",
                    "item_code": "new-taxpayer-invoice",
                    "item_case_id": 1,
                    "data": {},
                    "callback_url": "ftp://x",
                }
            ).encode(),
            "invalid_field",
        ),
    ]:
        response = signed_request(departments, "tax", "POST", "/v1/item-cases", body)
        assert response.status_code == 400 and response.json()["error"]["code"] == code, body
    with pytest.raises(DepartmentPermanentError) as missing:
        client.get("TAX-NOPE")
    assert missing.value.status == 404 and missing.value.code == "item_case_not_found"
    assert signed_request(departments, "tax", "DELETE", "/v1/item-cases").status_code == 405
    nobody = requests.get(f"{departments.url}/departments/nobody/v1/item-cases/x", timeout=5)
    assert nobody.status_code == 404 and nobody.json()["error"]["code"] == "unknown_department"


def test_bad_signature_stale_timestamp_and_replay_are_refused(departments: DepartmentProcess) -> None:
    reference = submit(departments.client("tax"), "new-taxpayer-invoice")["reference"]
    path = f"/v1/item-cases/{reference}"

    def code(response: requests.Response) -> str:
        assert response.status_code == 401
        return response.json()["error"]["code"]

    assert code(signed_request(departments, "tax", "GET", path, secret="wrong-secret")) == "bad_signature"
    assert code(signed_request(departments, "tax", "GET", path, now=time.time() - 400)) == "stale_timestamp"
    assert code(signed_request(departments, "tax", "GET", path, now=time.time() + 400)) == "stale_timestamp"
    assert code(requests.get(departments.base_url("tax") + path, timeout=5)) == "missing_signature"
    other = signing.sign_headers(departments.secrets["hrss"], "hrss", "GET", f"/departments/tax{path}")
    assert code(signed_request(departments, "tax", "GET", path, headers=other)) == "department_mismatch"
    headers = signing.sign_headers(departments.secrets["tax"], "tax", "GET", f"/departments/tax{path}")
    assert signed_request(departments, "tax", "GET", path, headers=headers).status_code == 200
    assert code(signed_request(departments, "tax", "GET", path, headers=headers)) == "replayed_nonce"
    with sqlite3.connect(departments.data_dir / "departments.sqlite3") as conn:  # nonces live in the store
        nonce = headers[signing.HEADER_NONCE]
        assert conn.execute("SELECT COUNT(*) FROM nonces WHERE nonce = ?", (nonce,)).fetchone()[0] == 1
    with pytest.raises(DepartmentPermanentError) as wrong:
        DepartmentClient(departments.base_url("tax"), "tax", "wrong-secret").get(reference)
    assert wrong.value.status == 401


def test_certificate_pdf_downloads_and_contains_the_number(departments: DepartmentProcess) -> None:
    client = departments.client("public-security")
    item_case = poll(client, submit(client, "newborn-household-registration", BIRTH)["reference"], "approved")
    number = item_case["certificate"]["number"]
    pdf = client.certificate_pdf(number)
    assert pdf.startswith(b"%PDF") and client.download(item_case["certificate"]["pdf_url"]) == pdf
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert number in text and "张小宝" in text and "市公安局" in text and item_case["reference"] in text
    unsigned = requests.get(item_case["certificate"]["pdf_url"], timeout=5)
    assert unsigned.status_code == 401
    with pytest.raises(DepartmentPermanentError) as missing:
        client.certificate_pdf("HKB000")
    assert missing.value.code == "certificate_not_found"


def test_supplement_flow(special: DepartmentProcess, make_receiver: Callable[..., CallbackReceiver]) -> None:
    receiver = make_receiver(special.secrets)
    client = special.client("registry")
    created = submit(client, "needs-more", {"name": "赵六"}, callback_url=receiver.url)
    asked = receiver.event_for(created["reference"], "supplement_requested")
    assert asked["supplement"] == {"message": "请补充房产证明", "fields": ["address"], "materials": ["property-proof"]}
    assert asked["result"] is None and client.get(created["reference"])["supplement"] == asked["supplement"]
    material = {"key": "property-proof", "name": "房产证明", "source": "upload", "url": "https://x/y.pdf"}
    answered = client.supplement(created["reference"], {"address": "上海市黄浦区1号"}, [material])
    assert answered["state"] == "in_progress"
    approved = receiver.event_for(created["reference"], "approved")
    assert approved["result"] == {"address": "上海市黄浦区1号"} and approved["event_id"] != asked["event_id"]
    with pytest.raises(DepartmentPermanentError) as conflict:  # no supplement is asked for any more
        client.supplement(created["reference"], {"address": "x"})
    assert conflict.value.status == 409 and conflict.value.code == "state_conflict"


def test_rejection_and_missing_required_data(special: DepartmentProcess, make_receiver: Callable) -> None:
    receiver = make_receiver(special.secrets)
    client = special.client("registry")
    no = receiver.event_for(submit(client, "always-no", callback_url=receiver.url)["reference"], "rejected")
    assert no["reason"] == "不符合办理条件" and no["result"] is None and no["certificate"] is None
    incomplete = receiver.event_for(submit(client, "required", callback_url=receiver.url)["reference"], "rejected")
    assert "name" in incomplete["reason"]
    complete = submit(client, "required", {"name": "钱七"}, callback_url=receiver.url)
    assert receiver.event_for(complete["reference"], "approved")["result"] == {"greeting": "钱七"}


def test_callbacks_are_retried_until_accepted(special: DepartmentProcess, make_receiver: Callable) -> None:
    receiver = make_receiver(special.secrets, fail_first=2)
    created = submit(
        special.client("registry"), "licence", {"id_number": "310104199203150028"}, callback_url=receiver.url
    )
    event = receiver.event_for(created["reference"], "approved")
    assert receiver._attempts[event["event_id"]] == 3
    assert event["certificate"]["holder"] == "310104199203150028" and event["result"]["licence_number"].startswith("TL")


def test_http_5xx_failure_rate(special: DepartmentProcess) -> None:
    client = special.client("flaky")
    for _ in range(5):
        with pytest.raises(DepartmentTransientError) as failed:
            submit(client, "x")
        assert failed.value.status == 503
    assert requests.get(f"{special.url}/health", timeout=5).status_code == 200


def test_dropped_callbacks_are_found_by_polling(special: DepartmentProcess, make_receiver: Callable) -> None:
    receiver = make_receiver(special.secrets)
    client = special.client("dropper")
    references = [submit(client, "x", callback_url=receiver.url)["reference"] for _ in range(3)]
    for reference in references:
        assert poll(client, reference, "approved")["result"]["n"].isdigit()
    time.sleep(0.3)
    assert receiver.received == []


def test_timeouts_are_transient_and_the_retry_is_idempotent(special: DepartmentProcess) -> None:
    fields = {"idempotency_key": key("slow"), "case_number": "YJS9", "item_code": "x", "item_case_id": 9, "data": {}}
    started = time.monotonic()
    with pytest.raises(DepartmentTransientError):
        special.client("slow", timeout=1.0).submit(**fields)
    assert time.monotonic() - started < 2
    retry = special.client("slow", timeout=5.0).submit(**fields)  # the first attempt did arrive
    assert retry["created"] is False


def test_seeded_outcomes_are_reproducible(spawn_departments: Callable, tmp_path: Path) -> None:
    def outcomes(server: DepartmentProcess) -> list[tuple[str, Any]]:
        client = server.client("registry")
        found = []
        for index in range(12):
            created = client.submit(idempotency_key=f"seeded-{index}", case_number="C", item_code="coin",
                                    item_case_id=index, data={})  # fmt: skip
            deadline = time.monotonic() + 5
            while (final := client.get(created["reference"]))["state"] not in ("approved", "rejected"):
                assert time.monotonic() < deadline
                time.sleep(0.02)
            found.append((final["state"], final["result"]))
        return found

    first = outcomes(spawn_departments(tmp_path / "a", config=SPECIAL_CONFIG, seed=7))
    second = outcomes(spawn_departments(tmp_path / "b", config=SPECIAL_CONFIG, seed=7))
    assert first == second and {state for state, _ in first} == {"approved", "rejected"}


def test_undecided_item_cases_resume_after_a_restart(
    spawn_departments: Callable, tmp_path: Path, make_receiver: Callable
) -> None:
    slow = spawn_departments(tmp_path, delay_scale=1000)  # decisions would take many minutes
    receiver = make_receiver(slow.secrets)
    created = submit(slow.client("housing"), "residential-lease-filing", {"lease_end": "2027-12-31"},
                     callback_url=receiver.url)  # fmt: skip
    slow.stop()
    fast = spawn_departments(tmp_path, delay_scale=0)  # same data directory
    event = receiver.event_for(created["reference"], "approved")
    assert event["certificate"]["valid_until"] == "2027-12-31"
    assert fast.client("housing").get(created["reference"])["state"] == "approved"


def test_load_smoke_200_dispatches_from_8_threads(departments: DepartmentProcess, receiver: CallbackReceiver) -> None:
    items = [
        ("public-security", "dog-registration"),
        ("agriculture", "dog-rabies-vaccination"),
        ("medical-insurance", "newborn-resident-medical-insurance"),
        ("hrss", "employer-social-insurance-registration"),
    ]
    clients: dict[tuple[int, str], DepartmentClient] = {}

    def dispatch(index: int) -> str:
        department, item = items[index % len(items)]
        client = clients.setdefault((threading.get_ident(), department), departments.client(department))
        return submit(client, item, {"applicant_name": f"申请人{index}"}, callback_url=receiver.url)["reference"]

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        references = set(pool.map(dispatch, range(200)))
    submitted = time.monotonic() - started
    events = receiver.wait_for(lambda es: len(es) >= 200, timeout=30)
    elapsed = time.monotonic() - started
    assert len(references) == 200 and {e["reference"] for e in events} == references
    assert all(e["state"] == "approved" for e in events)
    assert all(c.error is None for c in receiver.received)
    print(f"200 dispatches in {submitted:.2f} s, all callbacks in {elapsed:.2f} s")
    assert elapsed < 20
