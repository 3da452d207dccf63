"""The alert pre-screen: exactly the catalogue's alerts, and the query reading behind it."""

from __future__ import annotations

import csv
import os

from rdkit import Chem, RDConfig

from molpred.chem.alerts import AlertScreen, alert_screen, catalog


def test_screened_alerts_equal_the_catalogue_on_wehi_molecules():
    """The pre-screen skips no alert the catalogue would report (RDKit's own PAINS test
    molecules, many of them PAINS and Brenk hits)."""
    path = os.path.join(RDConfig.RDDataDir, "Pains", "test_data", "wehi_mols.csv")
    with open(path) as fh:
        smiles = [row[0] for _, row in zip(range(1200), csv.reader(fh))]
    screen = alert_screen(("pains", "brenk"))
    assert len(screen.entries) == 480 + 105 and len(screen._always) < 10
    n_hits = {"pains": 0, "brenk": 0}
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        if mol is None:
            continue
        found = screen.alerts(mol)
        for name in n_hits:
            expected = sorted({e.GetDescription() for e in catalog(name).GetMatches(mol)})
            assert found[name] == expected, (s, name)
            n_hits[name] += bool(expected)
    assert min(n_hits.values()) >= 20  # the comparison covered real alerts, not only clean molecules


def test_requirements_prune_alerts_a_molecule_cannot_match():
    screen = AlertScreen(("brenk",))
    names = lambda smi: {screen.descriptions[i] for i in screen.candidates(Chem.MolFromSmiles(smi))}  # noqa: E731
    # a triple bond and an acid halide need atoms and bonds benzene lacks
    assert "acid_halide" not in names("c1ccccc1") and "acid_halide" in names("CC(=O)Cl")
    assert "triple_bond" not in names("c1ccccc1") and "triple_bond" in names("CC#CC")
    assert screen.alerts(Chem.MolFromSmiles("CC(=O)Cl"))["brenk"] == ["acid_halide"]
