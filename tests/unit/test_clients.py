"""How the boto clients are set up: retried in standard mode, except Invoke's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twophase.aws.session import FUNCTION_TIMEOUT_LIMIT, Clients, Target

if TYPE_CHECKING:
    from botocore.client import BaseClient


def option(client: BaseClient, name: str) -> Any:
    """A client's configured option: botocore sets them as attributes its stubs do not declare."""
    return getattr(client.meta.config, name)


def test_invoke_gets_a_client_that_never_retries_and_outwaits_the_longest_function() -> None:
    clients = Clients(Target("eu-west-1", access_key="a", secret_key="b"))

    once, usual = clients.client("lambda", once=True), clients.client("lambda")

    assert once is not usual and once is clients.client("lambda", once=True)
    assert option(once, "retries")["total_max_attempts"] == 1  # a retry would run the code again
    assert option(once, "read_timeout") > FUNCTION_TIMEOUT_LIMIT
    assert option(usual, "retries") == {"mode": "standard", "total_max_attempts": 6}
