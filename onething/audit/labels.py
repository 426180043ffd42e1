"""How an audit event reads to a person: the action's name in Chinese and the change as a
short list of ``field: old → new`` lines (for the audit log pages and the admin).

Pure functions over what an event stores; nothing is read from the database. An action
code with no name here is shown as it is (the code stays readable to administrators), so a
new action never breaks a page; add its name here when adding it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

#: Action code → its name. Grouped by the thing the action is about.
ACTION_NAMES: dict[str, str] = {
    # cases (办件)
    "case.submitted": "提交申请",
    "case.routed": "分配受理中心",
    "case.accepted": "受理",
    "case.returned": "退回补正",
    "case.resubmitted": "补正后重新提交",
    "case.refused": "不予受理",
    "case.reassigned": "转交首问负责",
    "case.processing": "开始办理（派发子件）",
    "case.concluded": "办结",
    "case.partially_concluded": "部分办结",
    "case.deferral_overdue": "容缺材料逾期",
    "case.deferral_overdue_cleared": "容缺逾期解除",
    "case.due_dates_recomputed": "重算承诺期限",
    # materials (容缺材料)
    "material.supplied": "补交容缺材料",
    "material.deferral_extended": "容缺补交期限延长",
    "material.deferral_refused": "容缺逾期，相关事项不予办理",
    # item cases (子件)
    "item_case.release": "子件可派发（前置事项已办结）",
    "item_case.dispatch_failed": "子件派发失败（将重试）",
    "item_case.dispatched": "子件已派发，部门已接收",
    "item_case.dead_letter": "子件派发失败（待人工处理）",
    "item_case.redispatch": "子件重新派发",
    "item_case.in_progress": "子件办理中",
    "item_case.supplement_requested": "子件要求补正",
    "item_case.supplemented": "子件补正材料已提交",
    "item_case.approved": "子件办结（通过）",
    "item_case.rejected": "子件不予批准",
    "item_case.cancelled": "子件取消",
    "item_case.reset_stuck": "子件派发超时，重置",
    "item_case.deferral_refused": "子件因容缺逾期不予办理",
    "item_case.warning": "子件时限预警（黄灯）",
    "item_case.overdue": "子件超期（红灯）",
    # results (结果)
    "licence.issued": "电子证照签发",
    "licence.collected": "证照文件已取得",
    "licence.failed": "证照文件取得失败",
    "licence.registered": "证照已登记入库",
    "licence.registration_failed": "证照登记失败",
    "licence.not_registered": "证照无持证人，未登记",
    "licence.withdrawn": "证照撤回",
    "licence.retry": "证照重试",
    "results.downloaded": "下载办理结果",
    "delivery.recorded": "登记领取方式",
    "delivery.changed": "变更领取方式",
    "delivery.picked_up": "窗口领取",
    "delivery.mailed": "邮寄寄出",
    # ratings and rectifications (好差评)
    "rating.submitted": "提交评价",
    "rating.updated": "修改评价",
    "rectification.opened": "差评整改开始",
    "rectification.contact": "整改：已联系申请人",
    "rectification.contact_late": "整改：逾期未联系",
    "rectification.respond": "整改：已答复",
    "rectification.confirm": "整改：申请人确认",
    "rectification.reject": "整改：申请人不满意，重新整改",
    "rectification.withdraw": "整改撤回",
    "rectification.deadline_set": "整改期限设定",
    "rectification.overdue": "整改逾期",
    # accounts, departments, catalogue, administration
    "account.signed_up": "注册账户",
    "account.claimed": "认领窗口账户",
    "callback.refused": "拒收部门回传",
    "department.secret_rotated": "更换部门接口密钥",
    "department.previous_secret_retired": "停用部门旧密钥",
    "catalog.draft_created": "新建一件事草稿版本",
    "catalog.version_published": "发布一件事版本",
    "catalog.version_retired": "停用一件事版本",
    "admin.add": "后台新增",
    "admin.change": "后台修改",
    "admin.delete": "后台删除",
    "admin.action": "后台批量操作",
    "oversight.export": "导出数据",
}

#: Field names in before / after → their names, where a plain name helps.
FIELD_NAMES: dict[str, str] = {
    "state": "状态",
    "owner": "首问负责人",
    "owner_id": "首问负责人",
    "due_date": "承诺办结日期",
    "reason": "理由",
    "refusal_reason": "不予受理理由",
    "item": "事项",
    "items": "事项",
    "centre": "受理中心",
    "centre_id": "受理中心",
    "accepted_at": "受理时间",
    "concluded_at": "办结时间",
    "result": "办理结果",
    "note": "说明",
    "due_date_provisional": "承诺期限为暂定",
    "item_cases": "子件",
    "method": "领取方式",
    "channel": "渠道",
    "version": "版本",
    "number": "编号",
    "attempts": "尝试次数",
    "certificate": "证照",
}

MAX_LINES = 12
MAX_VALUE = 80


def action_name(code: str) -> str:
    """``item_case.approved`` → ``子件办结（通过）``; an unknown code as it is."""
    return ACTION_NAMES.get(code or "", code or "")


@dataclass(frozen=True)
class ChangeLine:
    """One field of a change: its name, the value before (None: not there) and after."""

    field: str
    label: str
    before: str | None
    after: str | None

    @property
    def text(self) -> str:
        if self.before is None:
            return f"{self.label}: {self.after}"
        if self.after is None:
            return f"{self.label}: {self.before} → （删除）"
        return f"{self.label}: {self.before} → {self.after}"


def _short(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def change_lines(before: Any, after: Any, *, limit: int = MAX_LINES) -> tuple[list[ChangeLine], int]:
    """The change of an event as lines (``field: old → new``), fields that stayed the same
    left out, at most ``limit``; and how many more there were. A value that is not an object
    is one line under the name ``值``."""
    old = before if isinstance(before, dict) else ({} if before is None else {"值": before})
    new = after if isinstance(after, dict) else ({} if after is None else {"值": after})
    lines = []
    for key in [*old, *(k for k in new if k not in old)]:
        in_old, in_new = key in old, key in new
        if in_old and in_new and old[key] == new[key]:
            continue
        lines.append(
            ChangeLine(
                field=str(key),
                label=FIELD_NAMES.get(str(key), str(key)),
                before=_short(old[key]) if in_old else None,
                after=_short(new[key]) if in_new else None,
            )
        )
    return lines[:limit], max(len(lines) - limit, 0)


def change_text(before: Any, after: Any, *, limit: int = MAX_LINES) -> str:
    """The change as text, one ``field: old → new`` a line (for the admin and CSV readers)."""
    lines, more = change_lines(before, after, limit=limit)
    text = "\n".join(line.text for line in lines)
    return f"{text}\n（另有 {more} 项）" if more else text
