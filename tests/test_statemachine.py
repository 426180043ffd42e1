"""The state-machine helper (onething/common/statemachine.py), on a real model."""

import pytest
from django.db.models import F

from onething.common.statemachine import StateMachine, TransitionNotAllowed
from onething.notifications.models import Notification

S = Notification.State


@pytest.fixture
def machine():
    return StateMachine(
        Notification,
        initial={S.PENDING},
        transitions={
            "claim": ({S.PENDING}, S.SENDING),
            "sent": ({S.SENDING}, S.SENT),
            "give_up": ({S.PENDING, S.SENDING}, S.FAILED),
        },
    )


def _row(key: str) -> Notification:
    return Notification.objects.create(channel="sms", address="13900000000", subject="s", body="b", dedup_key=key)


@pytest.mark.django_db
def test_a_transition_moves_only_from_its_sources_and_only_once(machine):
    row = _row("a")
    assert machine.move("claim", pk=row.pk, attempts=F("attempts") + 1)
    assert not machine.move("claim", pk=row.pk, attempts=F("attempts") + 1)  # the second one loses
    row.refresh_from_db()
    assert (row.state, row.attempts) == (S.SENDING, 1)
    assert machine.move("sent", pk=row.pk, where={"attempts": 1}, last_error="")
    assert not machine.move("give_up", pk=row.pk)
    row.refresh_from_db()
    assert row.state == S.SENT


@pytest.mark.django_db
def test_move_all_moves_the_rows_in_a_source_state(machine):
    rows = [_row(f"k{i}") for i in range(3)]
    machine.move("claim", pk=rows[0].pk)
    machine.move("sent", pk=rows[0].pk)
    assert machine.move_all("give_up", Notification.objects.all(), last_error="x") == 2
    assert sorted(Notification.objects.values_list("state", flat=True)) == [S.FAILED, S.FAILED, S.SENT]


def test_the_machine_knows_its_states_and_refuses_nonsense(machine):
    assert machine.label == "notifications.Notification.state"
    assert machine.module == __name__
    assert machine.allows("claim", S.PENDING) and not machine.allows("claim", S.SENT)
    assert machine.initial_state(S.PENDING) == {"state": S.PENDING}
    with pytest.raises(ValueError, match="not created in state"):
        machine.initial_state(S.SENT)
    with pytest.raises(KeyError, match="no transition 'fly'"):
        machine.move("fly", pk=1)
    with pytest.raises(ValueError, match="sets the state"):
        machine.move("claim", pk=1, state=S.SENT)
    error = machine.refused("sent", current=S.PENDING, subject="n-1")
    assert isinstance(error, TransitionNotAllowed)
    assert str(error) == "n-1: cannot sent from pending"
    assert "sent: sending → sent" in machine.describe()


def test_a_machine_names_only_choices_of_a_field_with_choices():
    with pytest.raises(ValueError, match="not choices"):
        StateMachine(Notification, initial={"pending"}, transitions={"x": ({"pending"}, "lost")})
    with pytest.raises(ValueError, match="no choices"):
        StateMachine(Notification, field="channel", initial=set(), transitions={})
