"""CPU cost of making one epoch of training batches: PyG ``DataLoader`` collation of per-molecule
``Data`` (molpred before the packed pipeline) against slicing packed arrays (``GraphBatcher``).

Same process, same molecules (a MoleculeACE training split featurised once), same shuffled
order and batch size; the two are interleaved ``--reps`` times and the best is kept. Only the
batching is timed, not the network. Writes ``benchmarks/results/batching_speed.md``.

Usage::

    nice -n 15 python -m benchmarks.batching_speed [--target CHEMBL204_Ki] [--reps 5]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from benchmarks.environment import command_line, machine_info, versions

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batching_speed", description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="CHEMBL204_Ki")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    import torch
    from torch_geometric.loader import DataLoader

    import molpred
    from molpred.data.batching import GraphBatcher
    from molpred.data.featurized import featurize_smiles
    from molpred.featurize import MolGraphFeaturizer
    from molpred.train.loop import attach_targets

    torch.set_num_threads(1)
    df = molpred.datasets.load_moleculeace(args.target)
    train = df[df.split == "train"]
    fs = featurize_smiles(list(train.smiles), MolGraphFeaturizer())
    y = train.y.to_numpy(float)[fs.index][:, None]
    packed = attach_targets(fs.graphs, y)
    data = packed.to_data_list()  # the same graphs and targets as per-molecule Data
    n = len(data)
    load_start = " ".join(f"{v:.1f}" for v in os.getloadavg())

    def dataloader_epoch(seed):
        g = torch.Generator()
        g.manual_seed(seed)
        return sum(b.num_graphs for b in DataLoader(data, batch_size=args.batch_size, shuffle=True, generator=g))

    batcher = GraphBatcher(packed)

    def packed_epoch(seed):
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()
        return sum(b.num_graphs for b in (batcher.batch(order[i:i + args.batch_size])
                                          for i in range(0, n, args.batch_size)))

    cpu = {"DataLoader collation (before)": [], "GraphBatcher slices (after)": []}
    fns = dict(zip(cpu, (dataloader_epoch, packed_epoch)))
    for rep in range(args.reps):
        for name in (list(cpu) if rep % 2 == 0 else list(cpu)[::-1]):
            c0 = time.process_time()
            assert fns[name](rep) == n
            cpu[name].append(time.process_time() - c0)
    c0 = time.process_time()
    GraphBatcher(packed)
    setup = time.process_time() - c0
    best = {k: min(v) for k, v in cpu.items()}
    before, after = best.values()
    text = "\n".join([
        "# Making one epoch of training batches: DataLoader collation vs packed slices", "",
        f"Command: `{command_line(argv, module='benchmarks.batching_speed')}`. Machine: {machine_info()['cpu_model']}, "
        f"{machine_info()['n_cores']} cores, shared (load average {load_start} at the start): CPU seconds of this "
        "process. Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()) + ".", "",
        f"MoleculeACE {args.target} training split: {n} molecules (molgraph v2), batch size {args.batch_size}, a "
        f"seeded shuffle per epoch; only the batching is timed (no network). Best of {args.reps}, interleaved:", "",
        "| batching | CPU ms / epoch | CPU us / molecule | all reps (ms) |", "|---|---|---|---|",
        *[f"| {k} | {best[k] * 1e3:.1f} | {best[k] / n * 1e6:.1f} | {', '.join(f'{v * 1e3:.1f}' for v in cpu[k])} |"
          for k in cpu],
        "",
        f"After / before: {after / before:.3f}. The packed set's tensors are made once per fit "
        f"({setup * 1e3:.1f} ms here); predictions reuse one set of batches for every ensemble member and "
        "MC-dropout pass, where the DataLoader collated them again for each.", "",
    ])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "batching_speed.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
