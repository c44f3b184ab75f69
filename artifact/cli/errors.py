"""Turn expected failures into one clear line on stderr and a non-zero exit."""

from __future__ import annotations

import sys

import click

from artifact.runtime.base import RuntimeUnavailable
from artifact.tasks.schema import TaskFileError


class UserError(click.ClickException):
    """Bad input from the user; shown as `error: <message>`."""

    def show(self, file=None) -> None:
        click.echo(f"error: {self.message}", err=True)


EXPECTED = (TaskFileError, RuntimeUnavailable, FileNotFoundError, NotADirectoryError)


class OecGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except EXPECTED as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            click.echo(f"error: {message}", err=True)
            sys.exit(1)
