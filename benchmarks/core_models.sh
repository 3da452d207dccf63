#!/usr/bin/env bash
# Test-set RMSE of each molpred architecture, trained from the CLI with default settings:
#   ESOL, balanced scaffold split (80/10/10), seed 0
#   MoleculeACE CHEMBL204_Ki, its shipped train/test split (validation = 10% of train), seed 0
# Writes benchmarks/results/core_models.md. Usage: bash benchmarks/core_models.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export MOLPRED_DATA_DIR="${MOLPRED_DATA_DIR:-$(cd .. && pwd)/shared/data}"
out=benchmarks/results/core_models
mkdir -p "$out"
esol="$MOLPRED_DATA_DIR/moleculenet/delaney-processed.csv"
ace=datasets/moleculeace/CHEMBL204_Ki.csv
for model in dmpnn gine attentivefp mlp; do
  start=$(date +%s)
  molpred train --data "$esol" --smiles-col smiles --target "measured log solubility in mols per litre" \
    --split scaffold --model "$model" --seed 0 --out "$out/esol_$model" > "$out/esol_$model.log" 2>&1
  echo "esol $model $(( $(date +%s) - start ))" >> "$out/wall_seconds.txt"
  start=$(date +%s)
  molpred train --data "$ace" --smiles-col smiles --target y --split column:split --model "$model" \
    --seed 0 --out "$out/chembl204_$model" > "$out/chembl204_$model.log" 2>&1
  echo "chembl204 $model $(( $(date +%s) - start ))" >> "$out/wall_seconds.txt"
done
python - <<'PY'
import json, platform, os, subprocess
from pathlib import Path
import torch, rdkit, molpred
out = Path("benchmarks/results/core_models")
walls = dict(((l.split()[0], l.split()[1]), l.split()[2]) for l in (out / "wall_seconds.txt").read_text().split("\n") if l)
rows = []
for model in ["dmpnn", "gine", "attentivefp", "mlp"]:
    r = []
    for ds, key in [("esol", "measured log solubility in mols per litre"), ("chembl204", "y")]:
        m = json.loads((out / f"{ds}_{model}" / "metrics.json").read_text())
        r.append(f"{m['test']['per_target'][key]['rmse']:.3f} ({walls[(ds, model)]} s)")
    rows.append(f"| {model} | {r[0]} | {r[1]} |")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
text = f"""# molpred architectures: test RMSE (wall time of `molpred train`)

Command: `bash benchmarks/core_models.sh` (each line runs `molpred train ... --model MODEL --seed 0`
with default settings: 50 epochs max, early stopping on validation RMSE, patience 15).
ESOL: balanced scaffold split 80/10/10, seed 0, RMSE in log(mol/L).
CHEMBL204_Ki: MoleculeACE shipped split (`--split column:split`; validation = 10% of train), RMSE in -log10(Ki/nM).

| model | ESOL scaffold RMSE | CHEMBL204_Ki RMSE |
|---|---|---|
""" + "\n".join(rows) + f"""

Machine: {os.cpu_count()} cores, {cpu}; shared with other jobs while it ran, so wall times are upper bounds.
Versions: molpred {molpred.__version__}, torch {torch.__version__}, rdkit {rdkit.__version__}, Python {platform.python_version()}.
"""
(Path("benchmarks/results/core_models.md")).write_text(text)
print(text)
PY
