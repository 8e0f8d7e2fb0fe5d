"""`twophase schema`: the JSON schema of twophase.yml, for editors."""

from __future__ import annotations

import json

import click

from twophase.cli.help import examples


@click.command(epilog=examples("twophase schema > twophase.schema.json"))
def schema() -> None:
    """Print the JSON schema of twophase.yml (point your editor's YAML plugin at it)."""
    from twophase.config.schema import config_json_schema

    click.echo(json.dumps(config_json_schema(), indent=2, sort_keys=True))
