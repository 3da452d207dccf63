"""The benchmark harness's quick mode, end to end: shape and sanity of its outputs, not values."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from benchmarks.models import QUICK_MODELS  # noqa: E402
from benchmarks.runner import KEY, QUICK_EPOCHS, main, run  # noqa: E402
from benchmarks.tasks import QUICK_TASKS, get_task, resolve  # noqa: E402


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")  # MOLPRED_DATA_DIR: set by conftest (../shared/data)
    frame = run("moleculeace", quick=True, out_dir=out, command="python -m benchmarks moleculeace --quick")
    return out, frame


def test_quick_run_writes_one_ok_row_per_task_model_seed(quick_run):
    out, frame = quick_run
    csv = pd.read_csv(out / "moleculeace_quick_results.csv")
    assert len(csv) == len(QUICK_TASKS) * len(QUICK_MODELS)
    assert not csv.duplicated(list(KEY)).any()
    assert set(csv["model"]) == set(QUICK_MODELS)
    assert set(csv["task"]) == set(QUICK_TASKS)
    assert (csv["status"] == "ok").all(), csv[["model", "message"]]
    neural = csv[csv["family"] == "molpred"]
    assert (neural["epochs"].astype(str) == str(QUICK_EPOCHS)).all()


def test_quick_run_metrics_finite_and_sane(quick_run):
    _, frame = quick_run
    for col in ("rmse", "rmse_cliff", "train_time_s", "predict_time_s", "predict_mol_per_s"):
        values = frame[col].to_numpy(dtype=float)
        assert np.isfinite(values).all(), col
        assert (values > 0).all(), col
    assert (frame["rmse"] < 5).all()  # pKi units: anything larger means the harness is broken
    assert (frame["n_test"] > 0).all() and (frame["n_failed_predictions"] == 0).all()


def test_quick_run_records_command_machine_and_versions(quick_run):
    out, frame = quick_run
    assert (frame["command"] == "python -m benchmarks moleculeace --quick").all()
    for col in ("cpu_model", "n_cores", "ram_gib", "molpred_version", "torch_version", "rdkit_version",
                "scikit-learn_version", "chemprop_version"):
        assert col in frame and frame[col].notna().all(), col
    runs = [json.loads(line) for line in (out / "moleculeace_quick_runs.jsonl").read_text().splitlines()]
    assert runs[-1]["command"] == "python -m benchmarks moleculeace --quick" and runs[-1]["wall_time_s"] > 0
    summary = (out / "moleculeace_quick_summary.md").read_text()
    assert "python -m benchmarks moleculeace --quick" in summary and "cores" in summary
    assert "| svm" in summary
    assert (out / "moleculeace_quick_rmse_per_task.png").stat().st_size > 0
    assert (out / "moleculeace_quick_parity.png").stat().st_size > 0


def test_rerun_resumes_without_new_rows(quick_run):
    out, frame = quick_run
    again = run("moleculeace", quick=True, out_dir=out, models=["svm"], report=False)
    assert len(again) == len(frame)


def test_unknown_names_fail_with_suggestion(capsys):
    with pytest.raises(KeyError, match="did you mean"):
        get_task("CHEMBL204_K")
    assert main(["moleculeacee", "--quick", "--out", "/nonexistent-not-used"]) == 2
    assert "did you mean" in capsys.readouterr().err
    assert len(resolve("moleculeace")) == 30


@pytest.mark.parametrize("stop", [KeyboardInterrupt(), SystemExit(1)])  # SystemExit: Ctrl-C inside Lightning
def test_an_interrupted_run_keeps_its_rows_and_says_so(tmp_path, monkeypatch, stop):
    import benchmarks.runner as runner

    calls = []

    def stop_on_second(data, name, seed, epochs):
        calls.append(name)
        if len(calls) == 2:
            raise stop
        return {"rmse": 1.0, "rmse_cliff": 1.0, "train_time_s": 0.0}, None

    monkeypatch.setattr(runner, "_run_one", stop_on_second)
    monkeypatch.setattr(runner, "_save_predictions", lambda *a: None)
    with pytest.raises(KeyboardInterrupt):
        run("moleculeace", quick=True, out_dir=tmp_path, models=["svm", "rf"], report=False)
    rows = pd.read_csv(tmp_path / "moleculeace_quick_results.csv")
    assert rows["model"].tolist() == ["svm"]
    log = [json.loads(line) for line in (tmp_path / "moleculeace_quick_runs.jsonl").read_text().splitlines()]
    assert log[-1]["interrupted"] == f"{type(stop).__name__} after 1 new rows" and log[-1]["rows_added"] == 1


def test_a_row_another_process_is_computing_is_skipped_not_repeated(tmp_path, monkeypatch):
    import benchmarks.runner as runner

    computed = []

    def fake_run_one(data, name, seed, epochs):
        computed.append(name)
        return {"rmse": 1.0, "rmse_cliff": 1.0, "train_time_s": 0.0}, None

    monkeypatch.setattr(runner, "_run_one", fake_run_one)
    monkeypatch.setattr(runner, "_save_predictions", lambda *a: None)
    task = QUICK_TASKS[0]
    key = (task, "svm", 0, str(QUICK_EPOCHS))
    with runner._claim(tmp_path, runner._label(task, quick=True), key) as mine:  # as if a second lane were fitting it
        assert mine
        run(task, quick=True, out_dir=tmp_path, models=["svm", "rf"], report=False)
    assert computed == ["rf"]
    run(task, quick=True, out_dir=tmp_path, models=["svm", "rf"], report=False)  # the claim is released
    assert computed == ["rf", "svm"]


def test_named_tasks_of_one_suite_join_its_table(tmp_path, monkeypatch):
    """A run of named tasks writes to its suite's results file, not one of its own."""
    import benchmarks.runner as runner

    monkeypatch.setattr(runner, "_run_one", lambda data, name, seed, epochs: (
        {"rmse": 1.0, "rmse_cliff": 1.0, "train_time_s": 0.0}, None))
    monkeypatch.setattr(runner, "_save_predictions", lambda *a: None)
    from benchmarks.tasks import SUITES

    names = SUITES["moleculeace"][:3]
    run(",".join(names[:2]), quick=True, out_dir=tmp_path, models=["svm"], report=False)
    run(names[2], quick=True, out_dir=tmp_path, models=["svm"], report=False)
    assert sorted(p.name for p in tmp_path.glob("*_results.csv")) == ["moleculeace_quick_results.csv"]
    assert sorted(pd.read_csv(tmp_path / "moleculeace_quick_results.csv")["task"]) == sorted(names)
    assert runner._label("moleculeace/CHEMBL204_Ki,moleculenet/esol", quick=False) == \
        "moleculeace_CHEMBL204_Ki_moleculenet_esol"
