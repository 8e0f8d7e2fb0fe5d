"""How the boto clients are set up: retried in standard mode, except Invoke's."""

from __future__ import annotations

from twophase.aws.session import FUNCTION_TIMEOUT_LIMIT, Clients, Target


def test_invoke_gets_a_client_that_never_retries_and_outwaits_the_longest_function() -> None:
    clients = Clients(Target("eu-west-1", access_key="a", secret_key="b"))

    once, usual = clients.client("lambda", once=True), clients.client("lambda")

    assert once is not usual and once is clients.client("lambda", once=True)
    assert once.meta.config.retries["total_max_attempts"] == 1  # a retry would run the code again
    assert once.meta.config.read_timeout > FUNCTION_TIMEOUT_LIMIT
    assert usual.meta.config.retries == {"mode": "standard", "total_max_attempts": 6}
