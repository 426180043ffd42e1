"""Errors of dispatching to a department, by whether trying again can help; and what the
workbench refuses."""

from onething.common.errors import NotAllowed
from onething.common.statemachine import TransitionNotAllowed


class DispatchError(Exception):
    """Base class: something went wrong talking to a department."""


class TransientDispatchError(DispatchError):
    """Timeouts, connection errors, 5xx: retry with backoff, then dead-letter."""


class PermanentDispatchError(DispatchError):
    """A 4xx with a reason: retrying cannot help; dead-letter at once."""


# --- refusals of the department workbench (domain errors, onething/common/errors.py) -------------


class NotInWorkbench(NotAllowed):
    """The item case's department decides in its own system: the workbench only shows it."""

    code = "not_in_workbench"
    message = "本部门通过自己的业务系统办理此事项，工作台只能查看"
    message_en = "this department decides in its own system; the workbench can only show the item case"


class ItemCaseStateConflict(TransitionNotAllowed):
    """The item case is not (or no longer) in a state that allows this: the state machine's
    own refusal (409 ``state_conflict``), worded for the officer."""

    def __init__(self, item_case, action: str = ""):
        display = item_case.get_state_display()
        super().__init__(
            machine="processing.ItemCase.state",
            transition=action,
            current=item_case.state,
            subject=str(item_case.pk),
            message=f"子件当前状态为“{display}”，不能进行此操作",
            message_en=f"The item case is currently “{display}”; this action is not possible",
        )
        self.item_case = item_case
