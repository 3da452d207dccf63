"""Inference has its own home: prediction and screening never import the training package."""

from __future__ import annotations

import subprocess
import sys


def test_predict_and_screen_do_not_import_train():
    code = (
        "import sys, molpred, molpred.screen, molpred.predict, molpred.inference\n"
        "from molpred.screen.models import ModelSet\n"
        "m = molpred.load('tests/data/pipeline_reference/dmpnn_ensemble')\n"
        "m.predict_frame(['CCO', 'not a smiles'])\n"
        "print(sorted(x for x in sys.modules if x.startswith('molpred.train')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=__file__.rsplit("/tests/", 1)[0])
    assert out.stdout.strip() == "[]"


def test_train_package_exports_no_inference():
    import molpred.train

    assert "predict_network" not in molpred.train.__all__
    assert "resolve_device" not in molpred.train.__all__
