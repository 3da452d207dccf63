"""Graph networks: encoders (D-MPNN, GINE, AttentiveFP), readouts, heads, MoleculeModel."""

from molpred.nn.model import ARCHITECTURES, ModelSpec, MoleculeModel, build_model, list_models

__all__ = ["ARCHITECTURES", "ModelSpec", "MoleculeModel", "build_model", "list_models"]
