"""`oec serve`: start `vllm serve` for a student folder (full model or LoRA adapter)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import click

from artifact.cli.errors import UserError
from artifact.serving.vllm_server import ServeError, check_installed, command, plan


@click.command("serve")
@click.option("--model", "folder", type=click.Path(path_type=Path), required=True,
              help="An HF model folder or a LoRA adapter folder.")
@click.option("--name", default=None, help="Served model name (default: the folder's name).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--max-model-len", type=int, default=None)
@click.option("--dry-run", is_flag=True, help="Print the vllm command instead of running it.")
@click.argument("vllm_args", nargs=-1, type=click.UNPROCESSED)
def serve_cmd(folder: Path, name: str | None, host: str, port: int, max_model_len: int | None, dry_run: bool,
              vllm_args: tuple[str, ...]) -> None:
    """Serve a student with vLLM's OpenAI-compatible server. Extra arguments go to `vllm serve`."""
    try:
        served = plan(folder, name)
        argv = command(served, host, port, max_model_len, vllm_args)
        if dry_run:
            click.echo(shlex.join(argv))
            click.echo(f"students reach it as: --student http://{host}:{port}/v1#{served.served_name}")
            return
        check_installed()
    except ServeError as exc:
        raise UserError(str(exc)) from None
    os.execvp(argv[0], argv)
