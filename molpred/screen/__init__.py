"""Screening: library -> streamed, filtered, predicted, ranked hits, resumable and scalable.

>>> from molpred.screen import screen
>>> summary = screen(["models/pki", "models/logs"], "library.smi.gz", "results",
...                  score="pki:max:1,logs:max:0.5", filters="pains,lipinski",
...                  top_k=100, diversity=0.6)  # doctest: +SKIP

Modules, in data-flow order: :mod:`~molpred.screen.reader` (chunks of the library),
:mod:`~molpred.screen.worker` (standardise, filter, featurise), :mod:`~molpred.screen.models`
(predict, output columns), :mod:`~molpred.screen.scoring` (``--score`` expressions),
:mod:`~molpred.screen.ranking` (top-K, diversity, hit table and picture),
:mod:`~molpred.screen.shards` (Parquet shards, manifest, resume),
:mod:`~molpred.screen.engine` (local processes or Ray Data), :mod:`~molpred.screen.api`.
"""

from molpred.screen.api import STATUSES, ScreenSummary, screen
from molpred.screen.scoring import ScoreSpec, ScoreSpecError, parse_score
from molpred.screen.shards import ScreenResumeError, load_results

__all__ = [
    "screen",
    "ScreenSummary",
    "STATUSES",
    "load_results",
    "parse_score",
    "ScoreSpec",
    "ScoreSpecError",
    "ScreenResumeError",
]
