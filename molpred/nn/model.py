"""MoleculeModel = head(readout(encoder(batch))) and the architecture registry."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, replace

import torch
from torch import Tensor, nn

from molpred.nn.attentivefp import AttentiveFPEncoder
from molpred.nn.dmpnn import DMPNNEncoder
from molpred.nn.features import MoleculeFeatureScaling
from molpred.nn.gine import GINEEncoder
from molpred.nn.head import FFNHead
from molpred.nn.readout import GraphReadout

__all__ = ["ModelSpec", "MoleculeModel", "FingerprintEncoder", "build_model", "ARCHITECTURES", "list_models"]


class FingerprintEncoder(nn.Module):
    """Fingerprint -> embedding (one linear layer), the encoder of the fingerprint MLP.

    Batches carry uint8 Morgan counts (:class:`molpred.featurize.FingerprintFeaturizer`); the
    encoder's input is their ``log1p``, looked up in a 256-entry float32 table
    (:data:`molpred.featurize.fingerprint.LOG1P_COUNTS`) so that it equals, bit for bit, the
    float32 ``log1p`` counts the featurizer stored before records became uint8. The table is a
    non-persistent buffer: it follows the module to its device but is not in ``state_dict``,
    so model files are unchanged.
    """

    graph_level = True

    def __init__(self, d_in: int, hidden: int = 512, dropout: float = 0.0):
        super().__init__()
        from molpred.featurize.fingerprint import LOG1P_COUNTS

        self.out_dim = hidden
        self.net = nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Dropout(dropout))
        self.register_buffer("log1p_table", torch.tensor(LOG1P_COUNTS), persistent=False)

    def reset_parameters(self) -> None:
        self.net[0].reset_parameters()

    def network_input(self, fp: Tensor) -> Tensor:
        """The float input of the network for a batch's fingerprints.

        Parameters
        ----------
        fp : Tensor
            ``n_mols x n_bits``: uint8 counts (looked up as ``log1p``), or floating-point values
            that already are the network's input (passed through; integrated gradients feeds
            scaled inputs this way).

        Returns
        -------
        Tensor
            ``n_mols x n_bits`` float32 (or ``fp`` itself when it is floating-point).
        """
        if fp.dtype == torch.uint8:
            # index_select with int32 indices: 4x faster on the CPU than indexing with int64
            return self.log1p_table.index_select(0, fp.reshape(-1).int()).reshape(fp.shape)
        if not fp.is_floating_point():
            raise TypeError(f"fingerprints must be uint8 counts or the float network input, got {fp.dtype}")
        return fp

    def forward(self, fp: Tensor) -> Tensor:
        """``n_mols x n_bits`` (see :meth:`network_input`) -> ``n_mols x hidden``."""
        return self.net(self.network_input(fp))


# architecture -> (featurizer name, default hyperparameters)
ARCHITECTURES: dict[str, tuple[str, dict]] = {
    "dmpnn": ("molgraph", {"hidden": 300, "depth": 3, "readout": "mean"}),
    "gine": ("molgraph", {"hidden": 300, "depth": 4, "readout": "mean"}),
    "attentivefp": ("molgraph", {"hidden": 200, "depth": 3, "readout": "none"}),
    "mlp": ("morgan_counts", {"hidden": 512, "depth": 1, "readout": "none"}),
}


def list_models() -> list[str]:
    return sorted(ARCHITECTURES)


def check_architecture(name: str) -> str:
    """Return ``name`` if known, else raise ``ValueError`` with a did-you-mean hint."""
    if name not in ARCHITECTURES:
        close = difflib.get_close_matches(name, ARCHITECTURES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown model {name!r}{hint} (known: {', '.join(list_models())})")
    return name


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to rebuild a network; saved as JSON in the model directory.

    ``d_mol`` is the width of the molecule-level features concatenated after the readout
    (:mod:`molpred.featurize.molecule_features`); 0 (and in files written before it existed)
    means none.
    """

    arch: str
    d_atom: int
    d_bond: int
    n_tasks: int
    hidden: int = 300
    depth: int = 3
    readout: str = "mean"
    dropout: float = 0.0
    ffn_hidden: int = 300
    ffn_layers: int = 2
    mve: bool = False
    d_mol: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelSpec:
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown model settings {sorted(unknown)}")
        return cls(**d)

    def with_defaults(self) -> ModelSpec:
        return replace(self, **ARCHITECTURES[self.arch][1])


class MoleculeModel(nn.Module):
    """A property model composed of parts.

    Parameters
    ----------
    encoder : nn.Module
        Graph (or fingerprint) encoder with an ``out_dim`` attribute.
    readout : GraphReadout
    head : FFNHead
        Its input is ``encoder.out_dim + d_mol`` wide when ``mol_features`` is given.
    mol_features : MoleculeFeatureScaling, optional
        Scales the batch's ``mol_x`` (``n_mols x d_mol``), which is concatenated to the
        molecule embedding before the head (Chemprop's ``X_d``).
    """

    def __init__(self, encoder: nn.Module, readout: GraphReadout, head: FFNHead,
                 mol_features: MoleculeFeatureScaling | None = None):
        super().__init__()
        self.encoder = encoder
        self.readout = readout
        self.head = head
        self.mol_features = mol_features

    def embed(self, batch) -> Tensor:
        """``n_mols x d`` molecule embeddings for a PyG ``Batch``."""
        if isinstance(self.encoder, FingerprintEncoder):
            return self.encoder(batch.fp)
        if isinstance(self.encoder, AttentiveFPEncoder):
            return self.encoder(batch.x, batch.edge_index, batch.edge_attr, batch.batch)
        h = self.encoder(batch.x, batch.edge_index, batch.edge_attr)
        return self.readout(h, batch.batch, batch.num_graphs)

    def forward(self, batch) -> Tensor:
        """``n_mols x n_tasks`` outputs (``n_mols x n_tasks x 2`` with a mean-variance head)."""
        return self.head_output(self.embed(batch), batch)

    def head_output(self, z: Tensor, batch) -> Tensor:
        """The head's outputs for embeddings ``z`` (``n_mols x d``) of ``batch``.

        ``forward`` is ``head_output(embed(batch), batch)``; training with a loss on the
        embeddings calls the two halves itself so the encoder runs once.
        """
        if self.mol_features is not None:
            mol_x = getattr(batch, "mol_x", None)
            if mol_x is None:
                raise ValueError("this network reads molecule features (mol_x) beside the graph; "
                                 "featurise with the estimator's featurizer_")
            z = torch.cat([z, self.mol_features(mol_x).to(z.dtype)], dim=1)
        return self.head(z)


def build_model(spec: ModelSpec) -> MoleculeModel:
    """Instantiate the network described by ``spec``."""
    check_architecture(spec.arch)
    if spec.arch == "dmpnn":
        enc = DMPNNEncoder(spec.d_atom, spec.d_bond, spec.hidden, spec.depth, spec.dropout)
    elif spec.arch == "gine":
        enc = GINEEncoder(spec.d_atom, spec.d_bond, spec.hidden, spec.depth, spec.dropout)
    elif spec.arch == "attentivefp":
        enc = AttentiveFPEncoder(spec.d_atom, spec.d_bond, spec.hidden, spec.depth, dropout=spec.dropout)
    else:
        enc = FingerprintEncoder(spec.d_atom, spec.hidden, spec.dropout)
    readout = GraphReadout(spec.readout, enc.out_dim)
    head = FFNHead(enc.out_dim + spec.d_mol, spec.n_tasks, spec.ffn_hidden, spec.ffn_layers, spec.dropout, spec.mve)
    mol_features = MoleculeFeatureScaling(spec.d_mol) if spec.d_mol else None
    return MoleculeModel(enc, readout, head, mol_features)
