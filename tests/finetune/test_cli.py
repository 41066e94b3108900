"""``ghostls finetune`` as a user runs it: a real subprocess, a real Ctrl-C (SIGINT)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from ghostls.finetune.store import METADATA, PEFT_CONFIG
from tests.finetune.conftest import ONE_THREAD, pattern_workspace


def _cli(args: list[str], cache: Path) -> subprocess.Popen:
    env = {**os.environ, **ONE_THREAD, "GHOSTLS_CACHE_DIR": str(cache)}
    return subprocess.Popen([sys.executable, "-m", "ghostls", "finetune", *args, "--threads", "1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_ctrl_c_stops_training_keeps_the_adapter_and_still_reports(tiny_model_dir: Path, tmp_path: Path) -> None:
    workspace = pattern_workspace(tmp_path / "ws")
    report_path = tmp_path / "report.json"
    proc = _cli([str(workspace), "--model", str(tiny_model_dir), "--budget-minutes", "30", "--seq-tokens", "128",
                 "--max-epochs", "1000", "--eval-lines", "4", "--eval-tokens", "500", "--json", str(report_path)],
                tmp_path / "cache")
    assert proc.stderr is not None
    for line in proc.stderr:  # wait for the first progress line: training is running
        if " step " in line and "loss" in line:
            break
    else:
        raise AssertionError(f"no progress line; exit {proc.wait()}")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "stopping after this step" in err
    report = json.loads(report_path.read_text())
    assert report["training"]["stopped"] == "interrupted" and report["training"]["steps"] >= 1
    adapter = Path(report["adapter"])
    assert adapter.is_relative_to(tmp_path / "cache" / "adapters")
    assert (adapter / PEFT_CONFIG).is_file() and (adapter / "adapter_model.safetensors").is_file()
    meta = json.loads((adapter / METADATA).read_text())
    assert meta["baseLocation"] == str(tiny_model_dir) and meta["dataHash"] == report["dataHash"]
    assert meta["figures"]["before"]["perplexity"] == report["before"]["perplexity"]["perplexity"]
    assert set(meta["heldOutFiles"]).isdisjoint(meta["trainFiles"])
    assert "held-out perplexity" in out and "next-line exact match" in out and str(adapter) in out


def test_bad_input_is_a_clear_error(tmp_path: Path, tiny_model_dir: Path) -> None:
    (tmp_path / "only.py").write_text("x = 1\n")
    proc = _cli([str(tmp_path), "--model", str(tiny_model_dir)], tmp_path / "cache")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "needs at least 2" in err
    proc = _cli([str(tmp_path / "missing")], tmp_path / "cache")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "is not a directory" in err
