"""Type aliases shared across molpred."""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from typing import Union

import numpy as np

PathType = Union[str, "PathLike[str]"]
SmilesInput = Sequence[str]
ArrayF = np.ndarray  # float arrays; shapes are documented where used
