"""BRICS fragments of real molecules, the raw material of :mod:`benchmarks.library_gen`.

Source molecules (the bundled MoleculeACE sets, ESOL, Lipophilicity, the MolPAL Enamine sets)
are cut at their BRICS bonds (Degen et al., ChemMedChem 2008); the fragments keep their
open valences as ``[L*]`` dummies carrying the BRICS link label. A :class:`FragmentLibrary`
holds the distinct fragments with their counts and the fragments-per-molecule distribution,
cached on disk after the first run.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rdkit import Chem, rdBase
from rdkit.Chem import BRICS

from molpred.exceptions import DataFileError

__all__ = ["FragmentLibrary", "default_sources"]

_REPO = Path(__file__).resolve().parents[1]
# real data beside the checkout (../shared/data), or wherever MOLPRED_DATA_DIR points
_SHARED = Path(os.environ.get("MOLPRED_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
_CACHE_VERSION = 1


def default_sources() -> list[Path]:
    """The bundled and shared data files used when ``sources`` is None (those that exist)."""
    paths = sorted((_REPO / "datasets" / "moleculeace").glob("*.csv"))
    paths += [
        _SHARED / "moleculenet" / "delaney-processed.csv",
        _SHARED / "moleculenet" / "Lipophilicity.csv",
        _SHARED / "molpal" / "Enamine50k.csv.gz",
        _SHARED / "molpal" / "Enamine10k.csv.gz",
    ]
    return [p for p in paths if p.exists()]


def _read_smiles(path: Path) -> list[str]:
    name = path.name.lower()
    if name.endswith((".smi", ".smi.gz", ".txt", ".txt.gz")):
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt") as fh:
            return [line.split()[0] for line in fh if line.strip()]
    try:
        frame = pd.read_csv(path, usecols=lambda c: str(c).lower() == "smiles")
    except (OSError, ValueError) as exc:
        raise DataFileError(f"cannot read SMILES from {path}: {exc}") from exc
    if frame.shape[1] != 1:
        raise DataFileError(f"{path} has no 'smiles' column")
    return frame.iloc[:, 0].dropna().astype(str).tolist()


def _brics_pieces(smiles: str) -> list[str] | None:
    """Fragment SMILES (with ``[L*]`` dummies) of the largest component, or None."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    frags = Chem.GetMolFrags(mol, asMols=True)
    mol = max(frags, key=lambda m: m.GetNumHeavyAtoms()) if len(frags) > 1 else mol
    for bond in mol.GetBonds():  # double-bond stereo would leave / and \ next to dummies
        bond.SetStereo(Chem.BondStereo.STEREONONE)
        bond.SetBondDir(Chem.BondDir.NONE)
    return Chem.MolToSmiles(BRICS.BreakBRICSBonds(mol)).split(".")


def _fragment_chunk(smiles: list[str]) -> tuple[Counter[str], Counter[int]]:
    counts: Counter[str] = Counter()
    sizes: Counter[int] = Counter()
    with rdBase.BlockLogs():
        for smi in smiles:
            pieces = _brics_pieces(smi)
            if pieces is not None and len(pieces) >= 2:
                counts.update(pieces)
                sizes[len(pieces)] += 1
    return counts, sizes


@dataclass(frozen=True)
class FragmentLibrary:
    """BRICS fragments with their counts, and how many fragments source molecules have.

    Attributes
    ----------
    fragments : tuple of (str, int)
        Canonical fragment SMILES with ``[L*]`` attachment dummies, and occurrence count,
        sorted by SMILES.
    sizes : tuple of (int, int)
        ``(fragments per molecule, number of source molecules)``, for molecules with >= 2.
    """

    fragments: tuple[tuple[str, int], ...]
    sizes: tuple[tuple[int, int], ...]

    @classmethod
    def from_smiles(cls, smiles: Iterable[str], workers: int = 1) -> FragmentLibrary:
        """Fragment molecules; unparsable SMILES are skipped (about 1 ms per molecule)."""
        unique = sorted(set(smiles))
        chunks = [unique[i : i + 2000] for i in range(0, len(unique), 2000)]
        if workers > 1 and len(chunks) > 1:
            with ProcessPoolExecutor(workers) as ex:
                parts = list(ex.map(_fragment_chunk, chunks))
        else:
            parts = [_fragment_chunk(c) for c in chunks]
        counts: Counter[str] = Counter()
        sizes: Counter[int] = Counter()
        for c, z in parts:
            counts.update(c)
            sizes.update(z)
        canon: Counter[str] = Counter()
        with rdBase.BlockLogs():
            for frag, c in counts.items():  # canonical per fragment, not per molecule
                mol = Chem.MolFromSmiles(frag)
                if mol is not None:
                    canon[Chem.MolToSmiles(mol)] += c
        return cls(tuple(sorted(canon.items())), tuple(sorted(sizes.items())))

    @classmethod
    def from_files(
        cls,
        paths: Sequence[str | os.PathLike],
        cache_dir: str | os.PathLike | None = "auto",
        workers: int = 1,
    ) -> FragmentLibrary:
        """Fragment the ``smiles`` column of CSV / ``.smi`` files, with an on-disk cache.

        ``cache_dir="auto"`` uses ``$MOLPRED_CACHE_DIR`` or ``~/.cache/molpred``; None
        disables caching. The cache key covers the files' paths, sizes and mtimes and
        the RDKit version.
        """
        paths = [Path(p) for p in paths]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise DataFileError(f"source files not found: {', '.join(missing)}")
        cache = None
        if cache_dir is not None:
            root = Path(
                os.environ.get("MOLPRED_CACHE_DIR", Path.home() / ".cache" / "molpred")
                if cache_dir == "auto"
                else cache_dir
            )
            key = repr(
                [_CACHE_VERSION, rdBase.rdkitVersion]
                + [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in paths]
            )
            cache = root / f"brics-fragments-{hashlib.sha256(key.encode()).hexdigest()[:16]}.tsv.gz"
            if cache.exists():
                return cls.load(cache)
        smiles = [s for p in paths for s in _read_smiles(p)]
        print(f"library_gen: fragmenting {len(smiles)} source molecules", file=sys.stderr)
        lib = cls.from_smiles(smiles, workers=workers)
        if cache is not None:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                lib.save(cache)
            except OSError:
                pass  # a read-only home only costs the next run the fragmentation time
        return lib

    def save(self, path: str | os.PathLike) -> None:
        """Write as gzipped TSV: a ``#sizes`` line, then ``smiles<TAB>count`` lines."""
        tmp = Path(f"{path}.tmp{os.getpid()}")
        with gzip.open(tmp, "wt") as fh:
            fh.write("#sizes\t" + ",".join(f"{k}:{v}" for k, v in self.sizes) + "\n")
            fh.writelines(f"{s}\t{c}\n" for s, c in self.fragments)
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> FragmentLibrary:
        with gzip.open(path, "rt") as fh:
            head = fh.readline().rstrip("\n").split("\t")[1]
            sizes = tuple(tuple(int(x) for x in kv.split(":")) for kv in head.split(",") if kv)
            frags = []
            for line in fh:
                s, c = line.rstrip("\n").split("\t")
                frags.append((s, int(c)))
        return cls(tuple(frags), sizes)
