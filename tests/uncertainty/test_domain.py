"""Applicability domain: packed-bit similarity, chemistry sanity, thresholds, state round trip."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from rdkit import Chem

from molpred.chem import morgan_fingerprints, tanimoto_matrix
from molpred.exceptions import ModelFileError, NotFittedError
from molpred.uncertainty import ApplicabilityDomain, packed_tanimoto

ERLOTINIB = "COCCOc1cc2ncnc(Nc3cccc(C#C)c3)c2cc1OCCOC"
OUT_OF_DOMAIN = {
    "methane": "C",
    "carbon dioxide": "O=C=O",
    "hexadecane": "CCCCCCCCCCCCCCCC",
    "sodium chloride": "[Na+].[Cl-]",
    "testosterone": "CC12CCC3C(CCC4=CC(=O)CCC34C)C1CCC2O",
    "glucose": "OCC1OC(O)C(O)C(O)C1O",
}


def _quinazolines() -> list[str]:
    """216 4-anilinoquinazolines (the gefitinib / erlotinib series), canonical SMILES."""
    six = ["CO", "COCCO", "[H]"]
    seven = ["OC", "OCCOC", "[H]"]
    meta = ["[H]", "Cl", "Br", "F", "C", "C#C"]
    para = ["[H]", "F", "OC", "C"]
    out = []
    for a, b, r3, r4 in itertools.product(six, seven, meta, para):
        smi = f"{a}c1cc2ncnc(Nc3cc({r3})c({r4})cc3)c2cc1{b}"
        out.append(Chem.MolToSmiles(Chem.MolFromSmiles(smi)))
    return out


@pytest.fixture(scope="module")
def series():
    smiles = _quinazolines()
    erlotinib = Chem.MolToSmiles(Chem.MolFromSmiles(ERLOTINIB))
    assert erlotinib in smiles
    rest = [s for s in smiles if s != erlotinib]
    rng = np.random.default_rng(0)
    order = rng.permutation(len(rest))
    train = [rest[i] for i in order[:150]]
    val = [rest[i] for i in order[150:190]]
    test = [rest[i] for i in order[190:]] + [erlotinib]
    return train, val, test


@pytest.fixture(scope="module")
def fitted(series):
    train, val, _ = series
    mols = [Chem.MolFromSmiles(s) for s in train]
    return ApplicabilityDomain(k=5).fit(mols).fit_threshold([Chem.MolFromSmiles(s) for s in val])


def test_series_analogues_in_domain_and_strangers_out(fitted, series):
    _, _, test = series
    assert fitted.threshold_rule_ == "quantile" and 0.3 < fitted.threshold_ < 1.0
    analogues = fitted.in_domain(fitted.score([Chem.MolFromSmiles(s) for s in test]))
    assert analogues[-1]  # erlotinib, held out of training, is a near analogue
    assert analogues.mean() >= 0.8
    strangers = [Chem.MolFromSmiles(s) for s in OUT_OF_DOMAIN.values()]
    scores = fitted.score(strangers)
    assert np.all(scores["max_sim_train"] < 0.2)
    assert not fitted.in_domain(scores).any(), dict(
        zip(OUT_OF_DOMAIN, scores["max_sim_train"], strict=True)
    )


def test_smiles_input_and_bad_rows_kept(fitted):
    queries = [ERLOTINIB, "not a smiles", "", None, "[H][H]", "C"]
    scores = fitted.score(queries)
    for v in scores.values():
        assert v.shape == (6,)
    ms = scores["max_sim_train"]
    assert ms[0] > 0.5
    assert np.isnan(ms[1:5]).all()  # invalid, empty, missing, and no heavy atom
    assert scores["nearest_train_index"][1] == -1
    assert np.isfinite(ms[5])
    np.testing.assert_array_equal(fitted.in_domain(scores), [True] + [False] * 5)


def test_identical_molecule_has_similarity_one(fitted, series):
    train, _, _ = series
    scores = fitted.score(train[:10])
    np.testing.assert_allclose(scores["max_sim_train"], 1.0)
    assert (scores["mean_sim_knn"] <= scores["max_sim_train"] + 1e-7).all()


@pytest.mark.parametrize("n_bits,density", [(2048, 0.03), (1024, 0.2), (520, 0.5), (64, 0.1)])
def test_packed_similarity_equals_tanimoto_matrix(n_bits, density):
    rng = np.random.default_rng(n_bits)
    a = (rng.random((37, n_bits)) < density).astype(np.uint8)
    b = (rng.random((53, n_bits)) < density).astype(np.uint8)
    a[0] = 0  # empty fingerprints: similarity 0, as in tanimoto_matrix
    b[0] = 0
    b[1] = a[1]
    got = packed_tanimoto(np.packbits(a, axis=1), np.packbits(b, axis=1))
    want = tanimoto_matrix(a, b)
    assert got.dtype == np.float32 and got.shape == (37, 53)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    assert got[0, 0] == 0.0 and got[1, 1] == 1.0


@pytest.mark.parametrize("chunk_size", [1, 7, None])
def test_scores_match_brute_force_with_any_chunking(chunk_size):
    rng = np.random.default_rng(1)
    train = (rng.random((300, 2048)) < 0.04).astype(np.uint8)
    query = (rng.random((45, 2048)) < 0.04).astype(np.uint8)
    query[:5] = train[:5]
    ad = ApplicabilityDomain(k=4, chunk_size=chunk_size).fit(train)
    assert ad.train_packed_.shape == (300, 256) and ad.train_packed_.dtype == np.uint8
    scores = ad.score(query)
    sim = tanimoto_matrix(query, train)
    np.testing.assert_allclose(scores["max_sim_train"], sim.max(1), atol=1e-6)
    np.testing.assert_allclose(scores["mean_sim_knn"], np.sort(sim, 1)[:, -4:].mean(1), atol=1e-6)
    np.testing.assert_array_equal(scores["nearest_train_index"][:5], np.arange(5))
    # packed input gives the same as unpacked input
    packed_scores = ad.score(np.packbits(query, axis=1))
    np.testing.assert_array_equal(packed_scores["mean_sim_knn"], scores["mean_sim_knn"])


def test_k_larger_than_training_set():
    fps = morgan_fingerprints([Chem.MolFromSmiles(s) for s in ["CCO", "CCN"]])
    ad = ApplicabilityDomain(k=5).fit(fps)
    s = ad.score(fps)
    np.testing.assert_allclose(s["mean_sim_knn"], tanimoto_matrix(fps, fps).mean(1), atol=1e-6)


def test_error_rule_cuts_where_errors_grow():
    rng = np.random.default_rng(2)
    train = (rng.random((200, 2048)) < 0.05).astype(np.uint8)
    # validation molecules: copies of training ones with a growing share of bits redrawn,
    # so similarity to train falls steadily
    n_val = 400
    noise = np.linspace(0.0, 1.0, n_val)
    base = train[rng.integers(0, 200, n_val)]
    flip = rng.random((n_val, 2048)) < noise[:, None]
    val = np.where(flip, (rng.random((n_val, 2048)) < 0.05), base).astype(np.uint8)
    ad = ApplicabilityDomain().fit(train)
    sim = ad.score(val)["max_sim_train"]
    # errors are small for similar molecules and triple below similarity 0.4
    err = np.where(sim >= 0.4, 0.3, 0.9) * rng.uniform(0.8, 1.2, n_val)
    ad.fit_threshold(val, val_abs_errors=err, error_factor=1.5)
    assert ad.threshold_rule_ == "error"
    assert 0.3 <= ad.threshold_ <= 0.5
    inside = ad.in_domain(ad.score(val))
    assert err[inside].mean() < err[~inside].mean()
    # errors that do not depend on similarity: the quantile rule decides
    flat = rng.uniform(0.2, 0.4, n_val)
    ad.fit_threshold(val, val_abs_errors=flat, quantile=0.1)
    assert ad.threshold_ == pytest.approx(np.quantile(sim, 0.1), abs=1e-6)
    # the quantile rule on the same data ignores the errors
    ad.fit_threshold(val, quantile=0.05)
    assert ad.threshold_ == pytest.approx(np.quantile(sim, 0.05), abs=1e-6)
    ad.fit_threshold(val, quantile=0.05, score="mean_sim_knn")
    assert ad.threshold_score_ == "mean_sim_knn"
    with pytest.raises(ValueError, match="Did you mean 'max_sim_train'"):
        ad.fit_threshold(val, score="max_sim")


def test_state_round_trip_through_safetensors_and_json(fitted, series, tmp_path):
    from safetensors.numpy import load_file, save_file

    train, val, test = series
    save_file(fitted.state_arrays(), str(tmp_path / "ad.safetensors"))
    (tmp_path / "ad.json").write_text(json.dumps(fitted.config_dict()))
    back = ApplicabilityDomain.from_state(
        load_file(str(tmp_path / "ad.safetensors")), json.loads((tmp_path / "ad.json").read_text())
    )
    queries = test + list(OUT_OF_DOMAIN.values())
    a, b = fitted.score(queries), back.score(queries)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    np.testing.assert_array_equal(fitted.in_domain(a), back.in_domain(b))
    assert back.threshold_ == fitted.threshold_


def test_errors():
    with pytest.raises(NotFittedError):
        ApplicabilityDomain().score(["CCO"])
    ad = ApplicabilityDomain().fit(["CCO", "CCN"])
    with pytest.raises(NotFittedError, match="fit_threshold"):
        ad.in_domain(ad.score(["CCO"]))
    with pytest.raises(ValueError, match="fingerprints must be"):
        ad.score(np.zeros((2, 100), np.uint8))
    with pytest.warns(UserWarning, match="skipped 1"):
        ApplicabilityDomain().fit(["CCO", "garbage("])
    cfg = ad.config_dict()
    arrays = ad.state_arrays()
    with pytest.raises(ModelFileError):
        ApplicabilityDomain.from_state({k: v[:, :10] for k, v in arrays.items()}, cfg)
    with pytest.raises(ModelFileError):
        ApplicabilityDomain.from_state(arrays, {**cfg, "version": 99})
    with pytest.raises(ModelFileError):
        ApplicabilityDomain.from_state({}, cfg)


def _force_kernel(monkeypatch, kernel: str) -> None:
    """Make :mod:`molpred.uncertainty.tanimoto` use one kernel, in small tiles."""
    from molpred.uncertainty import tanimoto

    if kernel == "popcount":
        monkeypatch.setattr(tanimoto, "_int8_matmul_pays", lambda: False)
        monkeypatch.setattr(tanimoto, "_TILE_TRAIN", 256)  # 700 = 256 + 256 + 188 training columns
        monkeypatch.setattr(tanimoto, "_TILE_PAIRS", 256 * 16)  # 16 queries per tile: 50 = 16 * 3 + 2
    else:
        if not tanimoto._int8_matmul_works():
            pytest.skip("torch._int_mm has no kernel here")
        monkeypatch.setattr(tanimoto, "_int8_matmul_pays", lambda: True)
        monkeypatch.setattr(tanimoto, "_MATMUL_MIN_QUERIES", 1)
        monkeypatch.setattr(tanimoto, "_MATMUL_TILE_TRAIN", 256)


@pytest.mark.parametrize("kernel", ["popcount", "matmul"])
def test_kernels_are_bit_identical_to_rdkit_across_tile_boundaries(monkeypatch, kernel):
    """Both kernels run in tiles; neither the kernel nor the tiles may change a single bit."""
    from rdkit import DataStructs

    rng = np.random.default_rng(3)
    train = (rng.random((700, 2048)) < 0.03).astype(np.uint8)
    query = (rng.random((50, 2048)) < 0.03).astype(np.uint8)
    query[0] = 0  # an empty fingerprint scores 0
    train[5] = 0
    _force_kernel(monkeypatch, kernel)
    got = packed_tanimoto(np.packbits(query, axis=1), np.packbits(train, axis=1))

    def bitvect(row):
        bv = DataStructs.ExplicitBitVect(row.size)
        for i in np.flatnonzero(row):
            bv.SetBit(int(i))
        return bv

    t_bv = [bitvect(r) for r in train]
    want = np.array([DataStructs.BulkTanimotoSimilarity(bitvect(q), t_bv) for q in query[1:]], dtype=np.float32)
    np.testing.assert_array_equal(got[1:], want)
    assert not got[0].any()


def test_domain_scores_equal_with_either_kernel_and_after_pickling(monkeypatch):
    """The unpacked training copy of the int8 kernel is a cache: never pickled, never stale."""
    import pickle

    from molpred.uncertainty import tanimoto

    rng = np.random.default_rng(4)
    train = (rng.random((400, 1024)) < 0.05).astype(np.uint8)
    query = (rng.random((80, 1024)) < 0.05).astype(np.uint8)
    ad = ApplicabilityDomain(n_bits=1024, k=3).fit(train)
    _force_kernel(monkeypatch, "matmul")
    fast = ad.score(query)
    assert ad._prepared._bits is not None  # unpacked once, kept for the next batch
    clone = pickle.loads(pickle.dumps(ad))
    assert clone._prepared._bits is None
    monkeypatch.setattr(tanimoto, "_int8_matmul_pays", lambda: False)
    for scores in (clone.score(query), ad.score(query)):
        for key in fast:
            np.testing.assert_array_equal(scores[key], fast[key])
    ad.fit(train[:200])  # a refit drops the prepared copy of the old training set
    assert len(ad._training_fingerprints()) == 200


def test_int8_kernel_is_chosen_only_where_it_runs_and_pays(monkeypatch):
    from molpred.uncertainty import tanimoto

    tanimoto._int8_matmul_pays.cache_clear()
    monkeypatch.setattr(tanimoto, "_int8_matmul_works", lambda: False)  # e.g. torch without _int_mm
    try:
        assert tanimoto._int8_matmul_pays() is False
        train = tanimoto.TrainingFingerprints(np.zeros((10, 256), np.uint8))
        assert not train.use_matmul(1000)
    finally:
        tanimoto._int8_matmul_pays.cache_clear()  # the real answer is timed again on next use
