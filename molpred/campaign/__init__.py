"""The active-learning loop: choose what to test next, round after round.

- :class:`Campaign`: a persistent campaign (``create``/``open``, ``next``, ``add_results``,
  ``history``, ``best``) backed by a :class:`CampaignStore` (one SQLite file).
- :func:`simulate`: the same loop run retrospectively against known values, scored per round
  with MolPAL's metrics (:func:`top_k_metrics`: top-k scores found with MolPAL's tie rule,
  top-k molecules found, average top-k value).
- Building blocks: :class:`SurrogateConfig` (``"fingerprint"`` | ``"graph-ensemble"`` |
  ``"gp"`` | ``"nn-ensemble"`` | ``"molpal-nn"`` | ``"molpal-rf"`` | ``"molpal-mpn"``),
  :class:`AcquisitionConfig` and :func:`score`, :class:`BatchConfig` and :func:`select_batch`,
  :func:`propose_batch`, :class:`CandidatePool`.
"""

from molpred.campaign.acquisition import AcquisitionConfig, list_acquisitions, score
from molpred.campaign.batch import select_batch
from molpred.campaign.campaign import Campaign, CampaignSettings, write_batch
from molpred.campaign.metrics import TopKMetrics, top_k_metrics
from molpred.campaign.pool import CandidatePool
from molpred.campaign.proposal import BatchConfig, Proposal, propose_batch
from molpred.campaign.simulate import oracle_values, simulate, true_top_k
from molpred.campaign.store import CampaignStore, CampaignStoreError, ResultsSummary
from molpred.campaign.surrogate import SURROGATES, SurrogateConfig

__all__ = [
    "AcquisitionConfig",
    "BatchConfig",
    "Campaign",
    "CampaignSettings",
    "CampaignStore",
    "CampaignStoreError",
    "CandidatePool",
    "Proposal",
    "ResultsSummary",
    "SURROGATES",
    "SurrogateConfig",
    "TopKMetrics",
    "list_acquisitions",
    "oracle_values",
    "propose_batch",
    "score",
    "select_batch",
    "simulate",
    "top_k_metrics",
    "true_top_k",
    "write_batch",
]
