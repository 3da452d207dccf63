"""Projections of the screening cost: arithmetic on measured stage costs."""

from __future__ import annotations

import pytest

from benchmarks.screen_scaling import CPU_STAGES, project

STAGES = {**{k: 100.0 for k in CPU_STAGES}, "featurise (MolGraphFeaturizer)": 400.0,
          "batches + forward, fp32 (as the screen builds them)": 300.0}


def test_cpu_only_rates_follow_the_stage_sum_and_name_the_largest_stage():
    rows = {r["scenario"]: r for r in project(STAGES, flops=30e6, gpu_tflops=5, cores=16)}
    per_mol = 5 * 100 + 400 + 300  # us of CPU per molecule
    assert rows["this machine (2 cores), CPU only"]["mol_per_s"] == pytest.approx(2e6 / per_mol)
    node = rows["16-core node, CPU only"]
    assert node["mol_per_s"] == pytest.approx(16e6 / per_mol)
    assert node["node_hours_1e9"] == pytest.approx(1e9 / node["mol_per_s"] / 3600)
    assert "featurise" in node["bound"]


def test_gpu_node_is_bound_by_whichever_side_is_slower():
    fast = project(STAGES, flops=30e6, gpu_tflops=5, cores=16)[-1]
    assert fast["mol_per_s"] == pytest.approx(15e6 / 900)  # 15 worker cores on the CPU stages
    assert fast["bound"].startswith("CPU stages")
    slow = project(STAGES, flops=30e6, gpu_tflops=1e-3, cores=16)[-1]  # an absurdly slow GPU
    assert slow["mol_per_s"] == pytest.approx(1e-3 * 1e12 / 30e6)
    assert slow["bound"].startswith("GPU")
