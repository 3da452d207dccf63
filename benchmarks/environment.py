"""What a benchmark result needs to say about where it ran: machine, versions, command."""

from __future__ import annotations

import os
import platform
import shlex
import sys
from functools import lru_cache
from importlib import metadata

__all__ = ["machine_info", "versions", "command_line", "PACKAGES"]

PACKAGES = ("molpred", "torch", "torch_geometric", "rdkit", "scikit-learn", "numpy", "pandas",
            "chemprop", "deepchem")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return float("nan")


@lru_cache(maxsize=1)
def machine_info() -> dict:
    """``{"cpu_model", "n_cores", "ram_gib", "os", "python"}`` of this machine."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu_model": _cpu_model(), "n_cores": cores, "ram_gib": _ram_gib(),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version()}


@lru_cache(maxsize=1)
def versions() -> dict:
    """Installed versions of the packages that shape the results ("not installed" if absent).

    Read from package metadata, so nothing heavy is imported.
    """
    out = {}
    for pkg in PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            if pkg == "molpred":
                try:
                    import molpred

                    out[pkg] = molpred.__version__
                    continue
                except ImportError:
                    pass
            out[pkg] = "not installed"
    return out


def command_line(argv: list[str] | None = None) -> str:
    """The command as a user would retype it (``python -m benchmarks ...``)."""
    args = sys.argv[1:] if argv is None else argv
    return "python -m benchmarks " + " ".join(shlex.quote(a) for a in args)
