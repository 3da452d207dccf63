"""Screening parts without a model: score expressions, chunked reading, the running top-K."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from molpred.chem.standardize import StandardizeConfig
from molpred.screen.ranking import TopPool, rank_order
from molpred.screen.reader import open_library
from molpred.screen.scoring import ScoreSpecError, parse_score
from molpred.screen.worker import ChunkPlan, process_chunk

COLS = ["pki", "logs", "pki_std", "qed"]
Z = {"pki": (6.0, 2.0), "logs": (-3.0, 1.5)}


# ---------------------------------------------------------------------------- scores
def test_score_defaults_and_canonical_text():
    spec = parse_score("pki:max:1.0,logs:max:0.5", COLS, Z, "pki")
    assert spec.text() == "pki:max:1:z,logs:max:0.5:z"
    frame = {"pki": np.array([8.0, 6.0]), "logs": np.array([-3.0, -6.0])}
    assert np.allclose(spec(frame), [1.0, -1.0])
    assert parse_score(None, COLS, Z, "pki").text() == "pki:max:1:raw"
    assert parse_score("qed", COLS, Z, "pki").text() == "qed:max:1:raw"
    assert parse_score("pki:min:2:raw", COLS, Z, "pki")({"pki": np.array([7.0])})[0] == -14.0


def test_desirability_is_a_clipped_ramp_in_either_direction():
    up = parse_score("desirability:logs:-6:-2", COLS, Z, "pki")
    down = parse_score("desirability:pki_std:1:0:3", COLS, Z, "pki")
    x = {"logs": np.array([-8.0, -4.0, 0.0, np.nan]), "pki_std": np.array([2.0, 0.25, -1.0, 0.5])}
    assert np.allclose(up(x), [0.0, 0.5, 1.0, np.nan], equal_nan=True)
    assert np.allclose(down(x), [0.0, 2.25, 3.0, 1.5])


@pytest.mark.parametrize(
    "expr, match",
    [("pkii", "did you mean 'pki'"), ("pki:up", "direction"), ("pki:max:heavy", "not a number"),
     ("qed:max:1:z", "training statistics"), ("desirability:logs:1:1", "differ"), ("desirability:logs:1", "A:B"),
     ("pki:max:0", "zero weights"), (",,", "empty"), ("pki:max:1:z:9", "too many"), ("pki:max:inf", "finite")],
)
def test_bad_score_expressions_say_what_is_wrong(expr, match):
    with pytest.raises(ScoreSpecError, match=match):
        parse_score(expr, COLS, Z, "pki")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_hostile_score_text_raises_only_score_errors(text):
    try:
        spec = parse_score(text, COLS, Z, "pki")
    except ScoreSpecError:
        return
    assert spec.terms and set(spec.columns) <= set(COLS)


# ---------------------------------------------------------------------------- ranking
def test_rank_order_is_score_then_row_and_skips_nan():
    scores = np.array([1.0, np.nan, 3.0, 3.0, -1.0])
    rows = np.array([10, 11, 13, 12, 14])
    assert rank_order(scores, rows).tolist() == [3, 2, 0, 4]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from([0.0, 1.0, 2.0, np.nan, 0.5]), min_size=1, max_size=60),
       st.integers(1, 12), st.integers(1, 10))
def test_running_top_k_equals_sorting_everything(values, k, chunk):
    frame = pd.DataFrame({"row": np.arange(len(values)), "score": values})
    pool = TopPool(k)
    for start in range(0, len(frame), chunk):
        pool.add(frame.iloc[start:start + chunk])
    expected = frame.dropna().sort_values(["score", "row"], ascending=[False, True])["row"].head(k).tolist()
    assert pool.result().get("row", pd.Series(dtype=int)).tolist() == expected
    assert pool.n_seen == frame["score"].notna().sum()


# ---------------------------------------------------------------------------- reading
LINES = ["CCO", "", "c1ccccc1 benzene", "bad(", "C" * 3000, "CC(=O)[O-].[Na+]", "  ", "N#N"]


@pytest.mark.parametrize("name", ["l.smi", "l.smi.gz", "l.csv", "l.csv.gz", "l.tsv", "l.parquet"])
@pytest.mark.parametrize("chunk", [1, 3, 8, 100])
def test_chunks_cover_every_row_once_in_order(tmp_path, name, chunk):
    smiles = [line.split()[0] if line.strip() else "" for line in LINES]
    path = tmp_path / name
    if ".smi" in name:
        (gzip.open if name.endswith(".gz") else open)(path, "wt").write("smiles\n" + "\n".join(LINES) + "\n")
    elif name.endswith(".parquet"):
        pd.DataFrame({"smiles": smiles, "name": list("abcdefgh")}).to_parquet(path)
    else:
        sep = "\t" if ".tsv" in name else ","
        pd.DataFrame({"smiles": smiles, "name": list("abcdefgh")}).to_csv(
            path, sep=sep, index=False, compression="gzip" if name.endswith(".gz") else None)
    src = open_library(path)
    chunks = list(src.chunks(chunk))
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert [c.start for c in chunks] == [i * chunk for i in range(len(chunks))]
    assert [r for c in chunks for r in c.records] == smiles
    if ".smi" not in name:
        assert [i for c in chunks for i in c.ids] == list("abcdefgh")


def test_csv_rows_with_too_many_fields_are_kept(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("smiles,id\nCCO,a\nc1ccccc1,b,surplus,fields\n\"CC,C\",c\n,d\n")
    chunks = list(open_library(path).chunks(10))
    assert chunks[0].records == ["CCO", "c1ccccc1", "CC,C", ""]
    assert chunks[0].ids == ["a", "b", "c", "d"]


def test_missing_columns_and_files_are_data_file_errors(tmp_path):
    from molpred.exceptions import DataFileError

    path = tmp_path / "t.csv"
    path.write_text("SMILE,id\nCCO,1\n")
    with pytest.raises(DataFileError, match="SMILES column"):
        open_library(path)
    with pytest.raises(DataFileError, match="did you mean 'SMILE'"):
        open_library(path, smiles_col="SMILES_")
    with pytest.raises(DataFileError, match="no such file"):
        open_library(tmp_path / "none.smi")
    with pytest.raises(DataFileError, match="unknown file type"):
        open_library(tmp_path / "lib.xlsx")


def test_worker_statuses_for_hostile_rows():
    from molpred.chem.filters import parse_filters
    from molpred.featurize import MolGraphFeaturizer
    from molpred.screen.reader import LibraryChunk

    records = ["CCO", "", "bad(", "C" * 3000, "CC(=O)[O-].[Na+]", "[H][H]", "O=C1C=CC(=O)C=C1", None]
    plan = ChunkPlan(StandardizeConfig(), (MolGraphFeaturizer(),), parse_filters("pains,brenk"), ("mw",), ((2, 2048),))
    r = process_chunk(plan, LibraryChunk(0, 0, records, None))
    assert r.status == ["ok", "empty", "invalid_smiles", "invalid_smiles", "ok", "unsupported", "filtered", "empty"]
    assert "BRENK" in r.filter_reasons[6]
    assert r.ok_index.tolist() == [0, 4] and len(r.features[0]) == 2 and r.domain[0].shape == (2, 256)
    assert np.isnan(r.properties["mw"][[1, 2, 3, 5, 7]]).all() and r.properties["mw"][6] > 100
    graphs = r.features[0].unpack()
    assert graphs[1].x.shape[0] == 4 and graphs[1].edge_index.max() == 3  # acetic acid, local indices


def _graphs(smiles):
    from molpred.chem import to_mol
    from molpred.featurize import MolGraphFeaturizer

    f = MolGraphFeaturizer()
    return [f(to_mol(s)) for s in smiles]


def test_packed_graphs_unpack_exactly_what_was_packed():
    from molpred.data.packed import PackedGraphs

    smiles = ["CCO", "c1ccccc1C(=O)O", "C[C@H](N)C(=O)O", "FC(F)(F)c1ccc(Br)cn1", "C", "N#CC#N", "O=S(=O)(N)c1ccccc1"]
    graphs = _graphs(smiles)
    d_atom, d_bond = graphs[0].x.shape[1], graphs[0].edge_attr.shape[1]
    parts = [PackedGraphs.pack(graphs[:3], d_atom, d_bond), PackedGraphs.pack([], d_atom, d_bond),
             PackedGraphs.pack(graphs[3:], d_atom, d_bond)]
    packed = PackedGraphs.concat(parts)
    assert packed.x.u8.dtype == np.uint8 and packed.x.f32.shape[1] == 1  # only the mass column is not 0/1
    for lo, hi in [(0, 7), (2, 5), (6, 7)]:
        for g, h in zip(graphs[lo:hi], packed.unpack(lo, hi)):
            for a, b in ((g.x, h.x), (g.edge_index, h.edge_index), (g.edge_attr, h.edge_attr)):
                assert a.dtype == b.dtype and np.array_equal(a, b)


def test_slicing_a_chunk_changes_nothing(monkeypatch):
    import molpred.screen.worker as worker
    from molpred.featurize import MolGraphFeaturizer
    from molpred.screen.reader import LibraryChunk

    records = ["CCO", "bad(", "c1ccccc1O", "", "CC(=O)[O-].[Na+]", "O=C1C=CC(=O)C=C1", "CCN", "C1CC"] * 3
    plan = ChunkPlan(StandardizeConfig(), (MolGraphFeaturizer(),), None, ("qed",), ((2, 1024),))
    whole = worker.process_chunk(plan, LibraryChunk(3, 300, records, None))
    monkeypatch.setattr(worker, "SLICE", 5)
    sliced = worker.process_chunk(plan, LibraryChunk(3, 300, records, None))
    for field in ("smiles", "smiles_std", "status", "error", "filter_reasons"):
        assert getattr(whole, field) == getattr(sliced, field)
    assert np.array_equal(whole.ok_index, sliced.ok_index) and np.array_equal(whole.domain[0], sliced.domain[0])
    assert np.array_equal(whole.properties["qed"], sliced.properties["qed"], equal_nan=True)
    for g, h in zip(whole.features[0].unpack(), sliced.features[0].unpack()):
        assert np.array_equal(g.x, h.x) and np.array_equal(g.edge_index, h.edge_index)


def test_workers_ship_fingerprints_as_uint8_counts_even_past_empty_slices(monkeypatch):
    import pickle

    import molpred.screen.worker as worker
    from molpred.featurize import FingerprintFeaturizer
    from molpred.screen.reader import LibraryChunk

    records = ["CCO", "c1ccccc1O", "bad(", "", "CC(=O)Nc1ccc(O)cc1", "CCN"]
    plan = ChunkPlan(StandardizeConfig(), (FingerprintFeaturizer(),), None, (), ())
    monkeypatch.setattr(worker, "SLICE", 2)  # the second slice has no usable row: an empty part
    r = worker.process_chunk(plan, LibraryChunk(0, 0, records, None))
    fp = r.features[0].graph_attrs["fp"]
    assert r.ok_index.tolist() == [0, 1, 4, 5] and fp.dtype == np.uint8 and fp.shape == (4, 2048)
    assert fp[2].max() > 1  # paracetamol has repeated environments: counts, not bits
    assert len(pickle.dumps(r.features[0])) < 4 * 2048 + 1000  # what crosses the process boundary


def test_a_featurisation_failure_marks_only_that_row_unsupported():
    from rdkit import Chem

    from molpred.featurize import MolGraphFeaturizer
    from molpred.screen.reader import LibraryChunk
    from molpred.screen.worker import process_chunk

    sulfur = Chem.MolFromSmarts("[#16]")

    class PickyFeaturizer(MolGraphFeaturizer):
        def __call__(self, mol):
            if mol.HasSubstructMatch(sulfur):
                raise ValueError("no sulfur here")
            return super().__call__(mol)

    plan = ChunkPlan(StandardizeConfig(), (PickyFeaturizer(),), None, (), ((2, 2048),))
    r = process_chunk(plan, LibraryChunk(0, 0, ["CCO", "CCS", "c1ccsc1", "CCN"], None))
    assert r.status == ["ok", "unsupported", "unsupported", "ok"]
    assert r.error[1] == "featurisation failed: no sulfur here" and r.smiles_std[1] is None
    assert r.ok_index.tolist() == [0, 3] and len(r.features[0]) == 2 and r.domain[0].shape[0] == 2


def test_packed_batch_equals_pyg_collation():
    import torch
    from torch_geometric.data import Batch

    from molpred.data.batching import GraphBatcher
    from molpred.data.packed import PackedGraphs

    graphs = _graphs(["CCO", "c1ccccc1C(=O)O", "C", "FC(F)(F)c1ccc(Br)cn1", "N#CC#N", "O=S(=O)(N)c1ccccc1"])
    packed = PackedGraphs.pack(graphs, graphs[0].x.shape[1], graphs[0].edge_attr.shape[1])
    batcher = GraphBatcher(packed)
    for lo, hi in [(0, 6), (1, 4), (5, 6)]:
        ours = batcher.batch(np.arange(lo, hi))
        ref = Batch.from_data_list([g.to_pyg() for g in graphs[lo:hi]])
        assert ours.num_graphs == ref.num_graphs == hi - lo
        for key in ("x", "edge_index", "edge_attr", "batch", "ptr"):
            assert torch.equal(getattr(ours, key), getattr(ref, key)), key


def test_an_empty_chunk_gives_an_empty_result():
    from molpred.featurize import MolGraphFeaturizer
    from molpred.screen.reader import LibraryChunk
    from molpred.screen.worker import process_chunk

    plan = ChunkPlan(StandardizeConfig(), (MolGraphFeaturizer(),), None, ("qed",), ((2, 1024),))
    r = process_chunk(plan, LibraryChunk(0, 0, [], None))
    assert r.status == [] and len(r.ok_index) == 0 and len(r.features[0]) == 0
    assert r.domain[0].shape[0] == 0 and r.properties["qed"].shape == (0,)


@pytest.mark.parametrize("arch", ["dmpnn", "gine", "attentivefp"])
def test_padded_batches_give_the_same_outputs_for_the_real_graphs(arch):
    import torch

    from molpred.data.batching import GraphBatcher
    from molpred.data.packed import PackedGraphs
    from molpred.inference.forward import predict_network
    from molpred.nn.model import ModelSpec, build_model

    graphs = _graphs(["CCO", "c1ccccc1C(=O)O", "C", "FC(F)(F)c1ccc(Br)cn1", "N#CC#N", "O=S(=O)(N)c1ccccc1"])
    packed = PackedGraphs.pack(graphs, graphs[0].x.shape[1], graphs[0].edge_attr.shape[1])
    batcher = GraphBatcher(packed)
    padded = batcher.batch(range(6), bucket=16)
    assert padded.n_real == 6 and padded.num_graphs == 7
    assert padded.x.shape[0] % 16 == 0 and padded.edge_index.shape[1] % 16 == 0
    assert padded.x.shape[0] > batcher.batch(range(6)).x.shape[0]  # always at least one filler atom
    torch.manual_seed(0)
    model = build_model(ModelSpec(arch, packed.x.width, packed.edge_attr.width, n_tasks=2, hidden=32, ffn_hidden=16))
    cpu = torch.device("cpu")
    plain = predict_network(model, batcher.batches(4), cpu)
    pads = predict_network(model, batcher.batches(4, bucket=16), cpu)
    assert pads.shape == plain.shape == (6, 2)
    np.testing.assert_allclose(pads, plain, rtol=1e-5, atol=1e-6)


def test_packed_graphs_carry_molecule_features_through_batches_and_padding():
    import torch
    from torch_geometric.data import Batch

    from molpred.chem.standardize import to_mol
    from molpred.data import GraphBatcher, PackedGraphs
    from molpred.featurize import MolGraphFeaturizer
    from molpred.featurize.molecule_features import with_molecule_features
    from molpred.inference import predict_network
    from molpred.nn.model import ModelSpec, build_model
    from molpred.screen.reader import LibraryChunk

    feat = with_molecule_features(MolGraphFeaturizer(), ["rdkit2d"])
    smiles = ["CCO", "c1ccccc1C(=O)O", "C", "FC(F)(F)c1ccc(Br)cn1", "N#CC#N", "O=S(=O)(N)c1ccccc1"]
    graphs = [feat(to_mol(s)) for s in smiles]
    # the worker packs them (graphs and features) like plain graphs
    r = process_chunk(ChunkPlan(StandardizeConfig(), (feat,), None, (), ()), LibraryChunk(0, 0, smiles, None))
    packed = r.features[0]
    mol_x = packed.graph_attrs["mol_x"]
    assert isinstance(packed, PackedGraphs) and mol_x.shape == (6, 202)
    np.testing.assert_array_equal(mol_x, np.stack([g.mol_x for g in graphs]))
    assert all(np.array_equal(g.mol_x, h.mol_x, equal_nan=True) for g, h in zip(graphs, packed.unpack()))
    batcher = GraphBatcher(packed)
    ref = Batch.from_data_list([g.to_pyg() for g in graphs[1:4]])
    assert torch.equal(batcher.batch([1, 2, 3]).mol_x, ref.mol_x)
    # padding adds a filler graph; the real graphs' outputs do not change
    spec = ModelSpec("dmpnn", feat.d_atom, feat.d_bond, n_tasks=1, hidden=16, ffn_hidden=8, d_mol=202)
    torch.manual_seed(0)
    model = build_model(spec)
    model.mol_features.set_statistics(np.nanmedian(mol_x, 0), np.ones(202), np.full(202, 5.0))
    cpu = torch.device("cpu")
    plain = predict_network(model, [batcher.batch(range(0, 4)), batcher.batch(range(4, 6))], cpu)
    pads = predict_network(model, [batcher.batch(range(0, 4), bucket=16), batcher.batch(range(4, 6), bucket=16)], cpu)
    assert batcher.batch(range(0, 4), bucket=16).mol_x.shape == (5, 202)
    np.testing.assert_allclose(pads, plain, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(plain, predict_network(model, [g.to_pyg() for g in graphs], cpu), rtol=1e-5, atol=1e-6)
