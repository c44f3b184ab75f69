import json

from click.testing import CliRunner

from artifact.cli.main import cli
from artifact.serving.vllm_server import command, plan


def test_full_model_folder(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    argv = command(plan(tmp_path, "student"), port=8123, max_model_len=8192)
    assert argv[:3] == ["vllm", "serve", str(tmp_path.resolve())]
    assert argv[argv.index("--served-model-name") + 1] == "student"
    assert argv[argv.index("--max-model-len") + 1] == "8192"
    assert "--enable-lora" not in argv


def test_lora_adapter_serves_base_with_lora_module(tmp_path):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "/models/base", "r": 32}))
    argv = command(plan(adapter))
    assert argv[2] == "/models/base"
    assert argv[argv.index("--lora-modules") + 1] == f"adapter={adapter.resolve()}"
    assert argv[argv.index("--max-lora-rank") + 1] == "32"


def test_cli_errors_and_dry_run(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["serve", "--model", str(tmp_path)])
    assert result.exit_code != 0 and result.stderr.strip().startswith("error: ")
    assert "not a model folder" in result.stderr
    (tmp_path / "config.json").write_text("{}")
    result = runner.invoke(cli, ["serve", "--model", str(tmp_path), "--dry-run", "--", "--dtype", "float32"])
    assert result.exit_code == 0
    assert "vllm serve" in result.stdout and "--dtype float32" in result.stdout
