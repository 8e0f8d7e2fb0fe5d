"""`twophase status`: per function, dummy or real code, alias targets, last release."""

from __future__ import annotations

import dataclasses

import click

from twophase.cli.context import AppContext

pass_app = click.make_pass_decorator(AppContext)


@click.command()
@click.argument("functions", nargs=-1)
@pass_app
def status(app: AppContext, functions: tuple[str, ...]) -> None:
    """Per function: dummy or real code, alias → version (weights), last release."""
    from twophase.aws.cloudformation import CloudFormation
    from twophase.core import PhaseTwo
    from twophase.core.infra import dummy_shas
    from twophase.core.status import StatusOptions
    from twophase.core.status import status as read_status

    config, env = app.settings, app.env_name
    cfn = CloudFormation(app.clients.client("cloudformation"))
    stack = cfn.get_stack(config.stack_name(env))
    dummies = dummy_shas(cfn.get_template(stack.name)) if stack is not None else {}
    ctx = PhaseTwo.create(config, env, app.clients, reporter=app.terminal)
    result = read_status(ctx, StatusOptions(functions=functions), dummies)
    if app.terminal.json:
        app.terminal.envelope("status", dataclasses.asdict(result))
        return
    rows = []
    for f in result.functions:
        aliases = "  ".join(
            f"{a.alias}→v{a.version}"
            + "".join(f" (+v{v} {w:.0%})" for v, w in sorted(a.weights.items()))
            for a in f.aliases
        )
        last = f"v{f.last_release.version} {f.last_release.at}" if f.last_release else ""
        code = str(f.code) + (" +unpublished" if f.unpublished else "")
        rows.append((f.function, f.error or code, aliases, last))
    app.terminal.table(["function", "code", "aliases", "last release"], rows)
