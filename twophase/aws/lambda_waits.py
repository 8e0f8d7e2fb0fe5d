"""Waiting for a Lambda function to settle: an update to finish, or a function to be `Active`.

Each wait polls GetFunctionConfiguration a bounded number of times; a wait that runs out raises
`WaitTimeout`, which is retried a bounded number of times more. The sleep is injectable, and the
first poll that has to wait says so once (`on_wait`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from twophase.aws.polling import SETTLE
from twophase.errors import AwsError

if TYPE_CHECKING:
    from twophase.aws.lambda_client import FunctionState


class WaitTimeout(AwsError):
    """The function stayed `InProgress` past the waiter's budget (retried, bounded)."""


@dataclass(frozen=True)
class FunctionWaits:
    """The waits, over `read(function, qualifier)`: a GetFunctionConfiguration."""

    read: Callable[[str, str | None], FunctionState]
    sleep: Callable[[float], None]
    on_wait: Callable[[str], None]
    polls: int = 60
    attempts: int = 3
    poll_seconds: float = 1.0

    def updated(self, function: str) -> FunctionState:
        """Poll `$LATEST` until LastUpdateStatus leaves InProgress; Failed raises its reason."""
        return self._retried(lambda: self._until_settled(function))

    def active(self, function: str, qualifier: str | None = None) -> FunctionState:
        """Poll until the function (or a version) is `Active`: a function idle for weeks is
        `Inactive`, a new one or a new version may start `Pending`. `Failed` raises its reason."""
        return self._retried(lambda: self._until_active(function, qualifier))

    def _retried(self, poll: Callable[[], FunctionState]) -> FunctionState:
        from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

        retrying = Retrying(
            retry=retry_if_exception_type(WaitTimeout),
            stop=stop_after_attempt(self.attempts),
            sleep=self.sleep,
            reraise=True,
        )
        return retrying(poll)

    def _until_settled(self, function: str) -> FunctionState:
        for poll in range(self.polls):
            state = self.read(function, None)
            if state.last_update_status == "Successful":
                return state
            if state.last_update_status == "Failed":
                reason = state.last_update_reason or "no reason given"
                raise AwsError(
                    f"the code update of {function} failed: {' '.join(reason.split())}",
                    hint="fix the artifact and push again; the previous release keeps serving",
                )
            self._pause(poll, f"{function}: waiting for its update to finish (InProgress)")
        raise WaitTimeout(
            f"{function} is still updating after {self.polls} checks",
            hint="run the command again in a minute",
        )

    def _until_active(self, function: str, qualifier: str | None) -> FunctionState:
        target = f"{function}:{qualifier}" if qualifier else function
        for poll in range(self.polls):
            state = self.read(function, qualifier)
            if state.state == "Active":
                return state
            if state.state == "Failed":
                reason = " ".join((state.state_reason or "no reason given").split())
                raise AwsError(f"{target} failed to become active: {reason}")
            self._pause(poll, f"{target}: waiting for it to become Active ({state.state})")
        raise WaitTimeout(
            f"{target} is still not Active after {self.polls} checks",
            hint="run the command again in a minute",
        )

    def _pause(self, poll: int, what: str) -> None:
        if poll == 0:
            self.on_wait(what)
        if poll + 1 < self.polls:  # short first, growing up to poll_seconds (`polling`)
            self.sleep(SETTLE.delay(poll, cap=self.poll_seconds))
