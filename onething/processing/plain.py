"""What each item-case state means to the applicant, in plain words, and what happens
next. The applicant never sees an internal state (``dead_letter``), code or error: the
case page and the API for applicants read this mapping; staff see the internal state
beside it (docs/glossary.md, "子件状态").
"""

from dataclasses import dataclass

from onething.common.i18n import pick
from onething.processing.models import ItemCase

S = ItemCase.State


@dataclass(frozen=True)
class PlainState:
    title: str
    title_en: str
    explanation: str
    explanation_en: str
    next_step: str
    next_step_en: str

    def as_dict(self) -> dict[str, str]:
        """The words in the request's language (``title``, ``explanation``, ``next_step``)."""
        return {
            "title": pick(self.title, self.title_en),
            "explanation": pick(self.explanation, self.explanation_en),
            "next_step": pick(self.next_step, self.next_step_en),
        }


HANDING_OVER = PlainState(
    "正在交给办理部门",
    "Being passed to the department",
    "系统正在把您的申请交给办理部门。",
    "The system is passing your application to the department.",
    "您无需操作。",
    "Nothing to do.",
)

ITEM_STATE_WORDS: dict[str, PlainState] = {
    S.WAITING: PlainState(
        "等待前一事项办结",
        "Waiting for an earlier item",
        "本事项要用到前一事项的办理结果，前一事项办结后自动开始办理。",
        "This item needs the result of an earlier one and starts by itself once that is done.",
        "您无需操作。",
        "Nothing to do.",
    ),
    S.READY: HANDING_OVER,
    S.DISPATCHING: HANDING_OVER,
    S.RECEIVED: PlainState(
        "部门已接收",
        "Received by the department",
        "办理部门已收到您的申请，将在承诺时限内办理。",
        "The department has your application and will decide within the committed time.",
        "您无需操作；部门需要补充材料时会通知您。",
        "Nothing to do; the department will tell you if it needs anything more.",
    ),
    S.IN_PROGRESS: PlainState(
        "部门正在办理",
        "Being processed",
        "办理部门正在审核您的申请。",
        "The department is examining your application.",
        "您无需操作；部门需要补充材料时会通知您。",
        "Nothing to do; the department will tell you if it needs anything more.",
    ),
    S.SUPPLEMENT: PlainState(
        "需要您补正",
        "Your correction is needed",
        "办理部门需要您补充或更正材料、信息；补正期间办理时限暂停计算。",
        "The department needs more or corrected materials or information; the time limit is paused meanwhile.",
        "请按下方要求补正后提交。",
        "Supply what is asked below and submit it.",
    ),
    S.APPROVED: PlainState(
        "已办结",
        "Approved",
        "办理部门已准予办理。",
        "The department has approved it.",
        "全部事项办结后，可在“办理结果”中下载结果；纸质结果按您申请时选择的领取方式发放。",
        "When every item is done, download the results under Results; paper results go the way you chose.",
    ),
    S.REJECTED: PlainState(
        "不予批准",
        "Not approved",
        "办理部门决定不予批准，原因见下方。",
        "The department decided not to approve it; the reason is below.",
        "如有疑问，请联系受理中心；结果告知书写明了申请复议或诉讼的途径。",
        "If in doubt, contact the service centre; the result notice says how to appeal.",
    ),
    S.CANCELLED: PlainState(
        "无需办理",
        "No longer needed",
        "本事项已取消，无需再办理（例如它所依赖的事项未获批准）。",
        "This item was cancelled and need not be done (for example, an item it depends on was not approved).",
        "您无需操作；如有疑问，请联系受理中心。",
        "Nothing to do; if in doubt, contact the service centre.",
    ),
    S.DEAD: PlainState(
        "部门系统暂未接收",
        "Not yet received by the department's system",
        "部门系统暂未接收，工作人员正在处理。",
        "The department's system has not taken it yet; staff are dealing with it.",
        "您无需操作；处理好后将自动继续办理，如有疑问请联系受理中心。",
        "Nothing to do; it continues by itself once fixed. If in doubt, contact the service centre.",
    ),
}


def plain_item_state(state: str) -> PlainState:
    """The plain words of an item-case state (a state not listed reads as being handled)."""
    return ITEM_STATE_WORDS.get(state, HANDING_OVER)


# --- what happened to an item case, as a line of the applicant's timeline ------------------
# One entry per audited change of the item case (``item_case.<action>``), in the applicant's
# words; the reason or request it carried is shown beside it. Actions not listed here (a
# dispatch retried, a worker's claim reset, the yellow light) are the engine's own and are
# left out of the applicant's timeline.

ITEM_EVENT_WORDS: dict[str, tuple[str, str]] = {
    "release": ("前一事项已办结，本事项开始办理", "The earlier item is done; this one has started"),
    "dispatched": ("已交给办理部门，部门已接收", "Passed to the department, which has received it"),
    "in_progress": ("部门正在办理", "The department is processing it"),
    "supplement_requested": ("部门要求补正", "The department asked for a correction"),
    "approved": ("准予办理", "Approved"),
    "rejected": ("不予批准", "Not approved"),
    "deferral_refused": (
        "容缺材料逾期未补交，本事项不予办理",
        "The deferred material was not supplied in time; this item will not be done",
    ),
    "cancelled": ("本事项无需办理", "This item is no longer needed"),
    "dead_letter": ("部门系统暂未接收，工作人员正在处理", "The department's system has not taken it; staff are on it"),
    "redispatch": ("重新交给办理部门", "Passed to the department again"),
    "overdue": ("已超过承诺办结日期", "Past the committed completion date"),
}
#: after a supplement request, "in progress" means the applicant's correction went in
SUPPLEMENT_ANSWERED = ("您已提交补正，部门继续办理", "Your correction was sent; the department continues")


def plain_item_event(*, action: str, before_state: str = "") -> str | None:
    """The applicant's words for ``item_case.<action>``, or None for an engine-internal step."""
    if action == "in_progress" and before_state == S.SUPPLEMENT:
        return pick(*SUPPLEMENT_ANSWERED)
    words = ITEM_EVENT_WORDS.get(action)
    return pick(*words) if words else None
