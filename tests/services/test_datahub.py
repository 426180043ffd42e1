"""The data hub as the engine meets it: a real process, signed HTTP, synthetic but valid data."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import sqlite3
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from services.datahub import demo_identities as demo
from services.datahub.auth import sign, signed_headers
from services.datahub.client import DatahubClient, DatahubRequestError, DatahubUnavailable
from services.datahub.clock import data_epoch, shanghai_today
from services.datahub.generator import generate
from services.datahub.ids import is_valid_credit_code, is_valid_id_number, make_credit_code, make_id_number
from tests.profiles import examples

from .conftest import ROOT, TEST_KEY, DatahubProcess

AS_OF = date(2026, 11, 1)
UNKNOWN_ID = make_id_number("310101", date(2025, 6, 1), 999)  # valid, but nobody is generated with that birth date
LICENCE_TYPES = {
    "id_card",
    "household_register",
    "marriage_certificate",
    "birth_medical_certificate",
    "business_licence",
    "property_certificate",
}


def call(
    hub: DatahubProcess,
    method: str,
    path: str,
    body: Any = None,
    *,
    key: str = TEST_KEY,
    timestamp: float | None = None,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """A hand-signed request, to test what the client would never send."""
    data = raw if raw is not None else b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    signed = signed_headers(key, "pytest", method, path, data, now=timestamp)
    return requests.request(method, hub.base_url + path, data=data, headers={**signed, **(headers or {})}, timeout=5)


def rows(data_dir: Path, table: str) -> list[tuple[Any, ...]]:
    """All rows of a table of a hub's SQLite file, in key order."""
    with sqlite3.connect(data_dir / "datahub.sqlite3") as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()


def records(data_dir: Path, table: str) -> list[dict[str, Any]]:
    """The JSON records of a table (persons, enterprises, elicences)."""
    column = {"persons": 3, "enterprises": 2, "elicences": 5}[table]
    return [json.loads(row[column]) for row in rows(data_dir, table)]


# -- reproducibility -------------------------------------------------------------------------------


def test_same_seed_gives_same_data_in_two_data_dirs(
    datahub: DatahubProcess, spawn_datahub: Callable[..., DatahubProcess], tmp_path: Path
) -> None:
    other = spawn_datahub(tmp_path / "again", "--as-of", data_epoch().isoformat())
    for table in ("persons", "enterprises", "elicences"):
        assert rows(other.data_dir, table) == rows(datahub.data_dir, table)
    sample = [person["id_number"] for person in records(datahub.data_dir, "persons")[::97]]
    with datahub.client() as first, other.client() as second:
        for id_number in sample:
            assert first.get_person(id_number) == second.get_person(id_number) is not None


def test_generation_is_a_function_of_seed_and_as_of() -> None:
    one, two = generate(7, AS_OF, persons=400, enterprises=30), generate(7, AS_OF, persons=400, enterprises=30)
    assert one == two
    assert generate(8, AS_OF, persons=400, enterprises=30).persons.keys() != one.persons.keys()


def test_only_newborns_move_with_the_as_of_date() -> None:
    november = generate(11, AS_OF, persons=600, enterprises=40)
    december = generate(11, date(2026, 12, 1), persons=600, enterprises=40)

    def stable(dataset: Any) -> set[str]:
        return {id_number for id_number, person in dataset.persons.items() if person["household_number"]}

    assert stable(november) == stable(december)
    assert november.enterprises == december.enterprises
    babies = set(december.persons) - stable(december)
    assert babies and all(date(2026, 12, 1) - timedelta(days=56) < _born(i) < date(2026, 12, 1) for i in babies)


def _born(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


# -- validity of the generated data -------------------------------------------------------------------


def test_every_identifier_has_a_valid_checksum(datahub: DatahubProcess) -> None:
    persons, enterprises = records(datahub.data_dir, "persons"), records(datahub.data_dir, "enterprises")
    licences = records(datahub.data_dir, "elicences")
    assert 3000 <= len(persons) <= 3100 and len(enterprises) == 300 and len(licences) > 7000
    for person in persons:
        assert ric.validate(person["id_number"]) == person["id_number"]  # also checks area code vs. birth year
        assert int(person["id_number"][16]) % 2 == (person["gender"] == "male")
        assert ric.get_birth_date(person["id_number"]).isoformat() == person["birth_date"]
    for enterprise in enterprises:
        assert uscc.validate(enterprise["credit_code"]) == enterprise["credit_code"]
    for licence in licences:
        assert ric.is_valid(licence["holder"]) or uscc.is_valid(licence["holder"])


def test_persons_look_real(datahub: DatahubProcess) -> None:
    persons = records(datahub.data_dir, "persons")
    mobiles = [person["mobile"] for person in persons if person["mobile"]]
    assert len(mobiles) == len(set(mobiles)) and all(re.fullmatch(r"1[3-9]\d{9}", m) for m in mobiles)
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", person["name"]) for person in persons)
    address = re.compile(r"上海市\w+?区\w+?(路|大道)\d+弄\d+号\d+室")
    assert all(address.fullmatch(person["address"]) for person in persons)
    assert {person["marital_status"] for person in persons} == {"single", "married", "divorced", "widowed"}
    assert 10 <= sum(person["dishonest"] for person in persons) <= 80
    assert 0.4 < sum(person["insured"] for person in persons) / len(persons) < 0.75
    assert all(
        person["household_number"] or _born(person["id_number"]) > shanghai_today() - timedelta(92)
        for person in persons
    )


def test_families_are_consistent(datahub: DatahubProcess) -> None:
    persons = {person["id_number"]: person for person in records(datahub.data_dir, "persons")}
    licences = records(datahub.data_dir, "elicences")
    by_holder: dict[str, set[str]] = {}
    for licence in licences:
        by_holder.setdefault(licence["holder"], set()).add(licence["type"])
    for person in persons.values():
        if person["marital_status"] == "married":
            assert persons[person["spouse_id_number"]]["spouse_id_number"] == person["id_number"]
            assert "marriage_certificate" in by_holder[person["id_number"]]
        for child in person["children"]:
            assert person["id_number"] in persons[child]["parents"]
    newborns = [person for person in persons.values() if person["household_number"] is None]
    assert len(newborns) >= 5
    assert all("birth_medical_certificate" in by_holder[baby["id_number"]] for baby in newborns)
    assert {licence["type"] for licence in licences} == LICENCE_TYPES
    assert {licence["status"] for licence in licences} == {"valid", "revoked"}


def test_enterprises_have_legal_representatives_among_persons(datahub: DatahubProcess) -> None:
    persons = {person["id_number"]: person for person in records(datahub.data_dir, "persons")}
    for enterprise in records(datahub.data_dir, "enterprises"):
        rep = persons[enterprise["legal_representative_id_number"]]
        assert rep["name"] == enterprise["legal_representative_name"]
        assert enterprise["credit_code"] in rep["enterprises"]


@settings(max_examples=examples(200))
@given(
    st.dates(date(1940, 1, 1), date(2026, 12, 31)),
    st.integers(0, 999),
    st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8),
)
def test_checksum_functions_agree_with_stdnum(birth: date, sequence: int, org_body: str) -> None:
    id_number = make_id_number("310101", birth, sequence)
    assert ric.is_valid(id_number) and is_valid_id_number(id_number)
    code = make_credit_code("310115", org_body)
    assert uscc.is_valid(code) and is_valid_credit_code(code)
    for wrong in "0123456789X":
        if wrong != id_number[-1]:
            assert not is_valid_id_number(id_number[:-1] + wrong)


# -- demo identities -----------------------------------------------------------------------------------


def test_demo_identities_are_valid_and_documented() -> None:
    docs = (ROOT / "docs" / "datahub.md").read_text()
    for person in [*demo.ADULTS.values(), demo.NEWBORN]:
        assert ric.validate(person.id_number)
    assert uscc.validate(demo.ENTERPRISE_CREDIT_CODE)
    for name, value in vars(demo).items():
        if name.isupper() and isinstance(value, str) and not name.startswith("NEWBORN_ID"):
            assert value in docs, name
    assert demo.newborn(AS_OF).id_number in docs  # the example given for November 2026


def test_demo_family(client: DatahubClient) -> None:
    mother = client.get_person(demo.MOTHER_ID_NUMBER)
    assert mother is not None
    assert (mother["name"], mother["mobile"], mother["marital_status"]) == (
        demo.MOTHER_NAME,
        demo.MOTHER_MOBILE,
        "married",
    )
    assert mother["insured"] and not mother["dishonest"]
    assert mother["spouse_id_number"] == demo.FATHER_ID_NUMBER
    assert mother["children"] == [demo.NEWBORN_ID_NUMBER]
    assert mother["household_number"] == demo.FAMILY_HOUSEHOLD_NUMBER
    assert {lic["licence_number"] for lic in client.list_elicences(demo.MOTHER_ID_NUMBER)} == {
        demo.MOTHER_ID_CARD_LICENCE,
        demo.MOTHER_HOUSEHOLD_LICENCE,
        demo.MOTHER_MARRIAGE_LICENCE,
    }
    father = client.get_person(demo.FATHER_ID_NUMBER)
    assert father and father["spouse_id_number"] == demo.MOTHER_ID_NUMBER and father["insured"]
    baby = client.get_person(demo.NEWBORN_ID_NUMBER)
    assert baby and baby["name"] == demo.NEWBORN_NAME and baby["household_number"] is None
    assert (shanghai_today() - date.fromisoformat(baby["birth_date"])).days < 92
    [certificate] = client.list_elicences(demo.NEWBORN_ID_NUMBER, licence_type="birth_medical_certificate")
    assert certificate["licence_number"] == demo.NEWBORN_BIRTH_CERTIFICATE_LICENCE
    assert certificate["data"]["mother"] == {"name": demo.MOTHER_NAME, "id_number": demo.MOTHER_ID_NUMBER}


def test_demo_citizen_dishonest_and_enterprise(client: DatahubClient) -> None:
    citizen = client.get_person(demo.CITIZEN_ID_NUMBER)
    assert citizen and citizen["name"] == demo.CITIZEN_NAME and not citizen["dishonest"]
    dishonest = client.get_person(demo.DISHONEST_ID_NUMBER)
    assert dishonest and dishonest["dishonest"] and dishonest["mobile"] == demo.DISHONEST_MOBILE
    enterprise = client.get_enterprise(demo.ENTERPRISE_CREDIT_CODE)
    assert enterprise and enterprise["name"] == demo.ENTERPRISE_NAME
    assert enterprise["legal_representative_id_number"] == demo.LEGAL_REP_ID_NUMBER
    rep = client.get_person(demo.LEGAL_REP_ID_NUMBER)
    assert rep and rep["enterprises"] == [demo.ENTERPRISE_CREDIT_CODE]
    [business_licence] = client.list_elicences(demo.ENTERPRISE_CREDIT_CODE)
    assert business_licence["licence_number"] == demo.ENTERPRISE_BUSINESS_LICENCE


# -- lookups -------------------------------------------------------------------------------------------


def test_person_lookup_errors(datahub: DatahubProcess, client: DatahubClient) -> None:
    assert client.get_person(UNKNOWN_ID) is None
    response = call(datahub, "GET", f"/v1/persons/{UNKNOWN_ID}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "person_not_found" and response.json()["error"]["message"]
    wrong_check = demo.MOTHER_ID_NUMBER[:-1] + ("0" if demo.MOTHER_ID_NUMBER[-1] != "0" else "1")
    assert call(datahub, "GET", f"/v1/persons/{wrong_check}").status_code == 400
    with pytest.raises(DatahubRequestError) as raised:
        client.get_person("not-an-id")
    assert raised.value.status == 400 and raised.value.code == "invalid_id_number"


def test_enterprise_lookup_errors(datahub: DatahubProcess, client: DatahubClient) -> None:
    assert client.get_enterprise(make_credit_code("310101", "12345678")) is None
    assert call(datahub, "GET", "/v1/enterprises/91310115MA1H7Q2KX0").status_code == 400


def test_licence_listing(datahub: DatahubProcess, client: DatahubClient) -> None:
    [card] = client.list_elicences(demo.CITIZEN_ID_NUMBER, licence_type="id_card")
    assert card["licence_number"] == demo.CITIZEN_ID_CARD_LICENCE and card["status"] == "valid"
    assert client.list_elicences(UNKNOWN_ID) == []
    assert client.get_elicence(demo.MOTHER_MARRIAGE_LICENCE)["data"]["certificate_number"] == (  # type: ignore[index]
        demo.MARRIAGE_CERTIFICATE_NUMBER
    )
    assert client.get_elicence("NOPE0000") is None
    assert call(datahub, "GET", "/v1/elicences").json()["error"]["code"] == "missing_field"
    assert call(datahub, "GET", "/v1/elicences?holder=123").status_code == 400


@pytest.mark.parametrize(
    ("licence_number", "holder", "reason"),
    [
        (demo.MOTHER_MARRIAGE_LICENCE, demo.MOTHER_ID_NUMBER, "ok"),
        (demo.MOTHER_MARRIAGE_LICENCE, demo.FATHER_ID_NUMBER, "holder_mismatch"),
        ("JHZ31010499999999", demo.MOTHER_ID_NUMBER, "not_found"),
        (demo.CITIZEN_REVOKED_PROPERTY_LICENCE, demo.CITIZEN_ID_NUMBER, "revoked"),
        (demo.ENTERPRISE_BUSINESS_LICENCE, demo.ENTERPRISE_CREDIT_CODE, "ok"),
    ],
)
def test_licence_verification(client: DatahubClient, licence_number: str, holder: str, reason: str) -> None:
    result = client.verify_elicence(licence_number, holder)
    assert (result["valid"], result["reason"]) == (reason == "ok", reason)


def test_real_name_check(datahub: DatahubProcess, client: DatahubClient) -> None:
    assert client.verify_person(demo.CITIZEN_ID_NUMBER, demo.CITIZEN_NAME) == {"match": True}
    assert client.verify_person(demo.CITIZEN_ID_NUMBER.lower(), demo.CITIZEN_NAME, "+86 139-1688-0003")["match"]
    assert not client.verify_person(demo.CITIZEN_ID_NUMBER, "赵文")["match"]
    assert not client.verify_person(demo.CITIZEN_ID_NUMBER, demo.CITIZEN_NAME, demo.MOTHER_MOBILE)["match"]
    assert not client.verify_person(UNKNOWN_ID, demo.CITIZEN_NAME)["match"]
    assert call(datahub, "POST", "/v1/persons/verify", {"id_number": "1", "name": "x"}).status_code == 400
    assert call(datahub, "POST", "/v1/persons/verify", {"id_number": UNKNOWN_ID}).status_code == 400


# -- registration ------------------------------------------------------------------------------------


def test_register_is_idempotent_on_the_licence_number(datahub: DatahubProcess, client: DatahubClient) -> None:
    request = {
        "number": "HKB31010400777001",
        "holder": demo.NEWBORN_ID_NUMBER,
        "issuer": "上海市公安局徐汇区分局",
        "data": {"household_number": demo.FAMILY_HOUSEHOLD_NUMBER},
    }
    created = client.register_elicence("household_register", **request)
    assert created["holder_name"] == demo.NEWBORN_NAME and created["status"] == "valid"
    assert client.register_elicence("household_register", **request) == created
    assert client.verify_elicence("HKB31010400777001", demo.NEWBORN_ID_NUMBER)["valid"]
    assert "HKB31010400777001" in {lic["licence_number"] for lic in client.list_elicences(demo.NEWBORN_ID_NUMBER)}
    with pytest.raises(DatahubRequestError) as raised:
        client.register_elicence("household_register", **{**request, "data": {"household_number": "other"}})
    assert raised.value.status == 409 and raised.value.code == "licence_conflict"
    replay = call(datahub, "POST", "/v1/elicences", {**request, "type": "household_register"})
    assert replay.status_code == 201 and replay.json() == created


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "passport"}, "type"),
        ({"holder": "310104199203150460"}, "holder"),
        ({"number": "a b"}, "number"),
        ({"data": [1, 2]}, "data"),
        ({"issuer": ""}, "issuer"),
        ({"issue_date": "2026-13-01"}, "issue_date"),
        ({"number": None}, "number"),
        ({"number": 12345678}, "number"),
    ],
)
def test_register_rejects_bad_input(datahub: DatahubProcess, change: dict[str, Any], field: str) -> None:
    body = {
        "type": "id_card",
        "number": "SFZ31010400888001",
        "holder": demo.CITIZEN_ID_NUMBER,
        "issuer": "x",
        "data": {},
        **change,
    }
    response = call(datahub, "POST", "/v1/elicences", body)
    assert response.status_code == 400 and response.json()["error"]["field"] == field


def test_registered_licences_survive_restart_and_reseed(
    spawn_datahub: Callable[..., DatahubProcess], tmp_path: Path
) -> None:
    first = spawn_datahub(tmp_path / "hub", "--as-of", "2026-11-01", "--persons", "300", "--enterprises", "20")
    with first.client() as client:
        client.register_elicence(
            "business_licence",
            "YYZZ31010100000999",
            make_credit_code("310101", "MA1ABCDE"),
            "上海市黄浦区市场监督管理局",
            {"name": "上海新开办有限公司"},
        )
    first.stop()
    second = spawn_datahub(tmp_path / "hub", "--as-of", "2026-12-01", "--persons", "300", "--enterprises", "20")
    with second.client() as client:
        assert client.meta()["as_of"] == "2026-12-01"
        assert client.get_elicence("YYZZ31010100000999")["holder_name"] is None  # type: ignore[index]
        assert client.get_person(demo.newborn(date(2026, 12, 1)).id_number) is not None
        assert client.get_person(demo.newborn(AS_OF).id_number) is None


# -- signatures ------------------------------------------------------------------------------------------


def test_health_needs_no_signature_but_v1_does(datahub: DatahubProcess) -> None:
    assert requests.get(f"{datahub.base_url}/health", timeout=5).json() == {"status": "ok"}
    response = requests.get(f"{datahub.base_url}/v1/persons/{demo.MOTHER_ID_NUMBER}", timeout=5)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "missing_credentials" and error["message"] and error["message_en"]


@pytest.mark.parametrize(
    ("kwargs", "skew", "code"),
    [
        ({"key": "wrong-key"}, 0, "bad_signature"),
        ({}, -310, "stale_timestamp"),
        ({}, 310, "stale_timestamp"),
        ({"headers": {"X-Timestamp": "yesterday"}}, 0, "bad_timestamp"),
        ({"headers": {"X-Signature": "ä" * 64}}, 0, "bad_signature"),
        ({"headers": {"X-Client-Id": ""}}, 0, "missing_credentials"),
    ],
)
def test_bad_signatures_are_refused(datahub: DatahubProcess, kwargs: dict[str, Any], skew: int, code: str) -> None:
    response = call(datahub, "GET", f"/v1/persons/{demo.MOTHER_ID_NUMBER}", timestamp=time.time() + skew, **kwargs)
    assert response.status_code == 401 and response.json()["error"]["code"] == code


def test_timestamp_within_window_is_accepted(datahub: DatahubProcess) -> None:
    assert call(datahub, "GET", f"/v1/persons/{demo.MOTHER_ID_NUMBER}", timestamp=time.time() - 250).ok


def test_signature_covers_body_and_query(datahub: DatahubProcess) -> None:
    path = f"/v1/elicences?holder={demo.MOTHER_ID_NUMBER}"
    headers = signed_headers(TEST_KEY, "pytest", "GET", path)
    tampered = requests.get(
        f"{datahub.base_url}/v1/elicences?holder={demo.FATHER_ID_NUMBER}", headers=headers, timeout=5
    )
    assert tampered.status_code == 401
    body = json.dumps({"licence_number": demo.MOTHER_ID_CARD_LICENCE, "holder": demo.MOTHER_ID_NUMBER}).encode()
    headers = signed_headers(TEST_KEY, "pytest", "POST", "/v1/elicences/verify", body)
    other = body.replace(demo.MOTHER_ID_NUMBER.encode(), demo.FATHER_ID_NUMBER.encode())
    response = requests.post(f"{datahub.base_url}/v1/elicences/verify", data=other, headers=headers, timeout=5)
    assert response.status_code == 401


def test_documented_signature_example() -> None:
    docs = (ROOT / "docs" / "datahub.md").read_text()
    body = b'{"licence_number": "SFZ31010490000001", "holder": "310104199203150469"}'
    assert hashlib.sha256(body).hexdigest() in docs
    assert sign("demo-datahub-key", "POST", "/v1/elicences/verify", "1795000000", body) in docs
    assert sign("demo-datahub-key", "GET", "/v1/elicences?holder=310104199203150469", "1795000000") in docs


# -- bad input never crashes the hub ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"[]",
        b"null",
        b'"text"',
        b"\xff\xfe",
        b"[" * 50000,
        b'{"holder": NaN}',
        b'{"a": 1e999999}',
        b'{"licence_number": 12, "holder": {}}',
        b"1" * 5000,
    ],
)
@pytest.mark.parametrize("path", ["/v1/elicences/verify", "/v1/elicences", "/v1/persons/verify"])
def test_malformed_bodies_give_400(datahub: DatahubProcess, path: str, raw: bytes) -> None:
    response = call(datahub, "POST", path, raw=raw)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
fields = st.sampled_from(
    [
        "licence_number",
        "holder",
        "id_number",
        "name",
        "mobile",
        "type",
        "number",
        "issuer",
        "data",
        "issue_date",
        "valid_until",
        "holder_name",
    ]
)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(["/v1/elicences/verify", "/v1/elicences", "/v1/persons/verify"]),
    body=st.dictionaries(fields, json_values | st.just(demo.MOTHER_ID_NUMBER), max_size=6),
)
def test_random_json_never_gives_a_server_error(datahub: DatahubProcess, path: str, body: dict[str, Any]) -> None:
    assert call(datahub, "POST", path, body).status_code in {200, 201, 400, 409}


def test_unknown_endpoints_and_methods(datahub: DatahubProcess) -> None:
    assert call(datahub, "GET", "/v1/nothing").status_code == 404
    assert call(datahub, "DELETE", f"/v1/persons/{demo.MOTHER_ID_NUMBER}").status_code == 405
    assert requests.get(f"{datahub.base_url}/", timeout=5).json()["error"]["code"] == "not_found"
    huge = call(datahub, "POST", "/v1/elicences", raw=b"x" * (1024 * 1024 + 1))
    assert huge.status_code == 413


# -- simulated conditions and the client -------------------------------------------------------------------


def test_latency_option(datahub: DatahubProcess, spawn_datahub: Callable[..., DatahubProcess]) -> None:
    slow = spawn_datahub(datahub.data_dir, "--latency-ms", "600")
    started = time.monotonic()
    assert requests.get(f"{slow.base_url}/health", timeout=5).ok
    assert time.monotonic() - started < 0.5
    with slow.client(timeout=0.2) as impatient, pytest.raises(DatahubUnavailable):
        impatient.get_person(demo.MOTHER_ID_NUMBER)
    with slow.client(timeout=5) as patient:
        started = time.monotonic()
        assert patient.get_person(demo.MOTHER_ID_NUMBER)["name"] == demo.MOTHER_NAME  # type: ignore[index]
        assert time.monotonic() - started >= 0.6


def test_error_rate_option_gives_unavailable(
    datahub: DatahubProcess, spawn_datahub: Callable[..., DatahubProcess]
) -> None:
    failing = spawn_datahub(datahub.data_dir, "--error-rate", "1")
    assert call(failing, "GET", f"/v1/persons/{demo.MOTHER_ID_NUMBER}").status_code == 503
    with failing.client() as client, pytest.raises(DatahubUnavailable):
        client.get_person(demo.MOTHER_ID_NUMBER)


def test_client_raises_unavailable_when_the_hub_is_stopped(
    datahub: DatahubProcess, spawn_datahub: Callable[..., DatahubProcess]
) -> None:
    hub = spawn_datahub(datahub.data_dir)
    with hub.client() as client:
        assert client.health() == {"status": "ok"}
        hub.stop()
        assert hub.process.returncode == 0
        with pytest.raises(DatahubUnavailable):
            client.get_person(demo.MOTHER_ID_NUMBER)
        with pytest.raises(DatahubUnavailable):
            client.list_elicences(demo.MOTHER_ID_NUMBER)


def test_client_with_wrong_key_gets_request_error(datahub: DatahubProcess) -> None:
    with DatahubClient(datahub.base_url, key="wrong", timeout=5) as client, pytest.raises(DatahubRequestError) as err:
        client.get_person(demo.MOTHER_ID_NUMBER)
    assert err.value.status == 401 and err.value.code == "bad_signature"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/persons/%ZZ",
        "/v1/persons/%E4%BD%A0%E5%A5%BD",
        "/v1/elicences?holder=%FF%FE",
        "/v1/enterprises/%00",
        "/v1/elicences/%2F..%2F",
        "/v1/persons/" + "9" * 5000,
        "/v1/elicences?holder=a&holder=b&type=",
    ],
)
def test_odd_paths_give_client_errors(datahub: DatahubProcess, path: str) -> None:
    response = call(datahub, "GET", path)
    assert 400 <= response.status_code < 500 and "error" in response.json()


def test_unsupported_methods_get_json_errors(datahub: DatahubProcess) -> None:
    host, port = datahub.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"BREW /pot HTTP/1.1\r\n\r\n")
        answer = sock.makefile("rb").read().decode()
    assert answer.startswith("HTTP/1.1 501") and '"code": "http_501"' in answer
    assert requests.head(f"{datahub.base_url}/health", timeout=5).status_code == 200
