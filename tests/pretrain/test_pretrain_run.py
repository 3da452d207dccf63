"""The pretraining run: log, plot, encoder bundle, and exact resumption after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from molpred.pretrain import pretrain
from molpred.pretrain.report import read_log

ROOT = Path(__file__).resolve().parents[2]
ARGS = dict(hidden_size=24, epochs=3, batch_size=16, chunk_size=80, exclude_benchmarks=False, log_every=1)


def test_run_writes_log_plot_and_encoder_bundle(tiny_encoder):
    cfg = json.loads((tiny_encoder / "encoder.json").read_text())
    assert cfg["format"] == "molpred-encoder" and cfg["encoder_spec"]["arch"] == "dmpnn"
    assert cfg["encoder_spec"]["hidden"] == 32 and cfg["objective"] == "descriptors"
    assert cfg["training"]["molecules_seen"] == 240 and cfg["training"]["epochs_completed"] == 1
    assert cfg["data"]["usable"] == 240 and len(cfg["descriptors"]) > 100
    tensors = load_file(str(tiny_encoder / "encoder.safetensors"))
    assert tensors and all(k.startswith(("encoder.", "readout.")) for k in tensors)
    log = read_log(tiny_encoder / "log.jsonl")
    assert [r["step"] for r in log] == list(range(2, 11, 2))  # shards of 100, 100, 40: 4 + 4 + 2 batches and all(r["mol_per_s"] > 0 for r in log)
    assert (tiny_encoder / "loss_curve.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="resume"):
        pretrain(tiny_encoder / "nothing.csv", tiny_encoder)


def _weights(run: Path) -> dict:
    return load_file(str(run / "encoder.safetensors"))


def test_resume_after_kill_finishes_with_the_uninterrupted_weights(moses_slice, tmp_path):
    """Kill ``molpred pretrain`` mid-run (SIGKILL), resume, and end where an unbroken run ends."""
    run = tmp_path / "killed"
    cmd = [sys.executable, "-m", "molpred.cli.main", "pretrain", "--data", str(moses_slice), "--out", str(run),
           "--hidden-size", "24", "--epochs", "3", "--batch-size", "16", "--chunk-size", "80", "--no-exclude",
           "--log-every", "1", "--checkpoint-every", "2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if (run / "latest.json").exists() and json.loads((run / "latest.json").read_text())["step"] >= 4:
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()[-500:]}"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = json.loads((run / "latest.json").read_text())["step"]
    assert 4 <= killed_at < 45  # 3 shards of 80 = 5 batches of 16 each: 15 steps per epoch, 3 epochs
    torch.set_num_threads(1)
    state = pretrain(moses_slice, run, resume=True, **ARGS)
    assert state["finished"] and state["step"] == 45 and state["epoch"] == 3
    steps = [r["step"] for r in read_log(run / "log.jsonl")]
    assert steps == list(range(1, 46))  # no step logged twice, none missing
    ref = pretrain(moses_slice, tmp_path / "unbroken", **ARGS)
    assert ref["step"] == 45
    a, b = _weights(run), _weights(tmp_path / "unbroken")
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)


def test_resume_refuses_other_settings(tiny_encoder, moses_slice):
    with pytest.raises(ValueError, match="hidden"):
        pretrain(moses_slice, tiny_encoder, resume=True, hidden_size=64, epochs=1, batch_size=32, chunk_size=100,
                 exclude_benchmarks=False)


def test_export_from_checkpoint_writes_bundle_and_card(tiny_encoder, tmp_path):
    from molpred.pretrain import export_encoder

    out = export_encoder(tiny_encoder, tmp_path / "exported", note="partial run, continues")
    cfg = json.loads((out / "encoder.json").read_text())
    assert cfg["note"] == "partial run, continues" and cfg["training"]["steps"] == 10
    card = (out / "MODEL_CARD.md").read_text()
    assert cfg["weights"]["sha256"] in card and "partial run, continues" in card
    a, b = _weights(out), _weights(tiny_encoder)
    assert all(torch.equal(a[k], b[k]) for k in a)  # the last checkpoint is the end of epoch 1


def test_molpred_pretrain_is_callable_and_listed():
    import molpred
    from molpred.cli.main import main
    from molpred.pretrain.trainer import pretrain as fn

    assert callable(molpred.pretrain)
    with pytest.raises(ValueError, match="unknown model 'dmpn'"):
        molpred.pretrain("x.smi", "/nonexistent", arch="dmpn")
    assert main(["list", "pretrained"]) == 0
    assert fn.__name__ == "pretrain"
