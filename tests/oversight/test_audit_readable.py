"""The audit log reads as words: each action by its Chinese name (an unknown code as it
is), each change as a short ``field: old → new`` list instead of raw JSON."""

from onething.audit import labels
from onething.audit import services as audit
from tests.oversight.test_audit_pages import SEARCH, admin_client, world  # noqa: F401 (fixtures)


def test_action_names_known_and_unknown():
    assert labels.action_name("item_case.approved") == "子件办结（通过）"
    assert labels.action_name("case.accepted") == "受理"
    assert labels.action_name("case.refused") == "不予受理"
    assert labels.action_name("something.new") == "something.new"
    assert labels.action_name("") == ""


def test_change_lines_show_what_changed_only():
    lines, more = labels.change_lines({"state": "submitted", "owner": 3}, {"state": "accepted", "owner": 3, "x": 1})
    assert [line.text for line in lines] == ["状态: submitted → accepted", "x: 1"] and more == 0
    lines, _ = labels.change_lines({"name": "卫健委"}, None)
    assert [line.text for line in lines] == ["name: 卫健委 → （删除）"]
    lines, _ = labels.change_lines(None, {"data": {"a": [1, 2]}, "ok": True})
    assert [line.text for line in lines] == ['data: {"a": [1, 2]}', "ok: 是"]
    lines, more = labels.change_lines(None, {f"k{i}": i for i in range(20)}, limit=5)
    assert len(lines) == 5 and more == 15
    assert labels.change_lines(None, None) == ([], 0)
    long = labels.change_lines(None, {"note": "长" * 200})[0][0]
    assert len(long.after) == labels.MAX_VALUE and long.after.endswith("…")


def test_the_audit_page_shows_names_and_a_diff_not_json(admin_client, world):  # noqa: F811
    audit.record(action="t.unknown_action", after={"k": "v"})
    page = admin_client.get(SEARCH).content.decode()
    accepted = page[page.index(f'data-event="{world["events"]["p_accepted"].pk}"') :]
    accepted = accepted[: accepted.index("</tr>")]
    assert '<span class="action-name">受理</span>' in accepted
    assert '状态：<span class="old">submitted</span> → <span class="new">accepted</span>' in accepted
    changed = page[page.index(f'data-event="{world["events"]["admin_change"].pk}"') :]
    changed = changed[: changed.index("</tr>")]
    assert "后台修改" in changed and '<span class="old">卫健委</span> → <span class="new">卫生健康委</span>' in changed
    assert '<span class="action-name">t.unknown_action</span>' in page
    assert "{&quot;state&quot;" not in page and '{"state"' not in page


def test_an_action_can_be_searched_by_its_chinese_name(admin_client, world):  # noqa: F811
    page = admin_client.get(SEARCH, {"action": "受理"}).content.decode()
    assert f'data-event="{world["events"]["p_accepted"].pk}"' in page
    assert f'data-event="{world["events"]["p_submitted"].pk}"' not in page


def test_the_detail_page_shows_the_name_and_the_diff(admin_client, world):  # noqa: F811
    event = world["events"]["p_accepted"]
    page = admin_client.get(f"/oversight/audit/{event.pk}/").content.decode()
    assert 'id="detail-action">受理' in page
    assert "<del>submitted</del> → <ins>accepted</ins>" in page
