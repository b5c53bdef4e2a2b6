"""A strategy execution starts, pauses, resumes and stops as the spec's table allows, stamping its times."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from engine.errors import InvalidTransition
from engine.model import ExecutionStatus, StrategyExecution

if TYPE_CHECKING:
    from tests.model.conftest import Make

T0 = datetime(2024, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(seconds=1)
T2 = T0 + timedelta(seconds=2)


def test_start_runs_and_stamps_start_time(make: type[Make]) -> None:
    execution = make.execution()
    execution.start(T1)
    assert execution.status is ExecutionStatus.RUNNING
    assert execution.start_time == T1
    assert execution.end_time is None


def test_stop_stamps_end_time(make: type[Make]) -> None:
    execution = make.execution()
    execution.start(T1)
    execution.stop(T2)
    assert execution.status is ExecutionStatus.STOPPED
    assert execution.end_time == T2


def test_restart_clears_end_time(make: type[Make]) -> None:
    execution = make.execution()
    execution.start(T0)
    execution.stop(T1)
    execution.start(T2)
    assert (execution.start_time, execution.end_time) == (T2, None)


def test_pause_and_resume_toggle_between_paused_and_running(make: type[Make]) -> None:
    execution = make.execution()
    execution.start(T0)
    execution.pause(T1)
    assert execution.status is ExecutionStatus.PAUSED
    execution.resume(T2)
    assert execution.status is ExecutionStatus.RUNNING


def test_a_paused_execution_can_be_stopped(make: type[Make]) -> None:
    execution = make.execution()
    execution.start(T0)
    execution.pause(T1)
    execution.stop(T2)
    assert (execution.status, execution.end_time) == (ExecutionStatus.STOPPED, T2)


@pytest.mark.parametrize("move", ["pause", "resume", "stop"])
def test_a_stopped_execution_can_only_start(make: type[Make], move: str) -> None:
    execution = make.execution()
    with pytest.raises(InvalidTransition, match="StrategyExecution: invalid transition stopped -> "):
        getattr(execution, move)(T1)
    assert execution == make.execution()


def test_a_running_execution_cannot_start_again(make: type[Make]) -> None:
    execution = make.execution()
    execution.start(T0)
    with pytest.raises(InvalidTransition, match=r"running -> running \(start needs stopped\)"):
        execution.start(T1)
    assert execution.start_time == T0


def test_a_paused_execution_resumes_rather_than_starts(make: type[Make]) -> None:
    execution = make.execution()
    execution.start(T0)
    execution.pause(T1)
    with pytest.raises(InvalidTransition, match=r"paused -> running \(start needs stopped\)"):
        execution.start(T2)
    assert (execution.status, execution.start_time) == (ExecutionStatus.PAUSED, T0)


def test_a_stopped_execution_starts_rather_than_resumes(make: type[Make]) -> None:
    execution = make.execution()
    with pytest.raises(InvalidTransition, match=r"stopped -> running \(resume needs paused\)"):
        execution.resume(T1)
    assert execution == make.execution()


# -- the lifecycle as a state machine ---------------------------------------------------------

# command -> (the states it may leave, the state it reaches)
COMMANDS = {
    "start": ({ExecutionStatus.STOPPED}, ExecutionStatus.RUNNING),
    "pause": ({ExecutionStatus.RUNNING}, ExecutionStatus.PAUSED),
    "resume": ({ExecutionStatus.PAUSED}, ExecutionStatus.RUNNING),
    "stop": ({ExecutionStatus.RUNNING, ExecutionStatus.PAUSED}, ExecutionStatus.STOPPED),
}


class ExecutionLifecycle(RuleBasedStateMachine):
    """Random control commands against one execution; time moves forward one second per step."""

    def __init__(self, execution: StrategyExecution) -> None:
        super().__init__()
        self.execution = execution
        self.now = T0
        self.started = False

    def _command(self, name: str) -> None:
        self.now += timedelta(seconds=1)
        execution = self.execution
        sources, target = COMMANDS[name]
        if execution.status in sources:
            getattr(execution, name)(self.now)
            assert execution.status is target
            self.started = self.started or name == "start"
        else:
            before = copy.deepcopy(execution)
            with pytest.raises(InvalidTransition):
                getattr(execution, name)(self.now)
            assert execution == before

    @rule()
    def start(self) -> None:
        self._command("start")

    @rule()
    def pause(self) -> None:
        self._command("pause")

    @rule()
    def resume(self) -> None:
        self._command("resume")

    @rule()
    def stop(self) -> None:
        self._command("stop")

    @precondition(lambda self: self.execution.status is ExecutionStatus.RUNNING)
    @invariant()
    def running_has_a_start_and_no_end(self) -> None:
        assert self.execution.start_time is not None
        assert self.execution.end_time is None

    @invariant()
    def status_is_always_a_spec_status(self) -> None:
        assert self.execution.status in ExecutionStatus

    @invariant()
    def end_time_is_set_iff_stopped_after_a_start(self) -> None:
        stopped_after_start = self.started and self.execution.status is ExecutionStatus.STOPPED
        assert (self.execution.end_time is not None) == stopped_after_start
        assert (self.execution.start_time is not None) == self.started


def test_execution_lifecycle_keeps_its_invariants(make: type[Make]) -> None:
    run_state_machine_as_test(
        lambda: ExecutionLifecycle(make.execution()),
        settings=settings(max_examples=100, stateful_step_count=30, deadline=None),
    )
