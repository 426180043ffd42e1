"""The department simulator renders each certificate once and serves the kept bytes after."""

from __future__ import annotations

import threading
from unittest import mock

import pytest

from services.department import certificates

CERTIFICATE = {
    "number": "HKB20260001",
    "type": "birth-medical-certificate",
    "title": "出生医学证明",
    "holder": "110101199003071234",
    "holder_name": "王芳",
    "data": {"child_name": "王小明", "birth_date": "2026-11-01"},
    "labels": {"child_name": "新生儿姓名", "birth_date": "出生日期"},
    "issue_date": "2026-11-02",
    "case_number": "YJS2026110200001",
    "reference": "HC-000001",
}


@pytest.fixture(autouse=True)
def empty_cache():
    certificates.clear_cache()
    yield
    certificates.clear_cache()


def uncached(certificate, department, item) -> bytes:
    with certificates._render_lock:
        return certificates._render(certificate, department, item, certificates.cjk_font())


def test_cached_bytes_are_those_of_a_fresh_render():
    first = certificates.render_certificate(CERTIFICATE, "市卫生健康委员会", "出生医学证明办理")
    again = certificates.render_certificate(dict(CERTIFICATE), "市卫生健康委员会", "出生医学证明办理")
    assert first.startswith(b"%PDF")
    assert again is first
    assert first == uncached(CERTIFICATE, "市卫生健康委员会", "出生医学证明办理")


def test_renders_once_per_document():
    with mock.patch.object(certificates, "_render", wraps=certificates._render) as render:
        for _ in range(5):
            certificates.render_certificate(CERTIFICATE, "卫健委", "出生医学证明")
        assert render.call_count == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda c, d, i: ({**c, "number": "HKB20260002"}, d, i),
        lambda c, d, i: ({**c, "data": {**c["data"], "child_name": "王小红"}}, d, i),
        lambda c, d, i: (c, "另一个部门", i),
        lambda c, d, i: (c, d, "另一个事项"),
    ],
)
def test_anything_the_bytes_depend_on_is_in_the_key(change):
    base = ("卫健委", "出生医学证明")
    original = certificates.render_certificate(CERTIFICATE, *base)
    changed_args = change(CERTIFICATE, *base)
    changed = certificates.render_certificate(*changed_args)
    assert changed != original
    assert changed == uncached(*changed_args)


def test_bounded_least_recently_used_out(monkeypatch):
    monkeypatch.setattr(certificates, "CACHE_SIZE", 3)
    with mock.patch.object(certificates, "_render", return_value=b"%PDF-x") as render:
        for n in range(5):
            certificates.render_certificate({**CERTIFICATE, "number": f"N{n}"}, "d", "i")
        assert len(certificates._cache) == 3
        certificates.render_certificate({**CERTIFICATE, "number": "N4"}, "d", "i")  # kept
        assert render.call_count == 5
        certificates.render_certificate({**CERTIFICATE, "number": "N0"}, "d", "i")  # gone: rendered again
        assert render.call_count == 6


def test_threads_get_identical_bytes():
    results: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def fetch(n: int) -> None:
        pdf = certificates.render_certificate({**CERTIFICATE, "number": f"T{n % 3}"}, "卫健委", "出生医学证明")
        with lock:
            results.append((n % 3, pdf))

    threads = [threading.Thread(target=fetch, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    by_number: dict[int, set[bytes]] = {}
    for number, pdf in results:
        by_number.setdefault(number, set()).add(pdf)
    assert len(results) == 12 and all(len(pdfs) == 1 for pdfs in by_number.values())
    assert len(certificates._cache) == 3
