"""What a benchmark result needs to say about where it ran: machine, versions, command, and
whether other jobs shared the CPU while it was measured.

``psutil`` (for the machine-wide CPU counters) is installed with torch-geometric.
"""

from __future__ import annotations

import os
import platform
import shlex
import sys
from functools import lru_cache
from importlib import metadata

__all__ = ["machine_info", "versions", "command_line", "PACKAGES", "CpuShare", "sharing_note"]

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


def command_line(argv: list[str] | None = None, module: str = "benchmarks") -> str:
    """The command as a user would retype it (``python -m <module> ...``; default arguments:
    this process's)."""
    args = sys.argv[1:] if argv is None else argv
    return " ".join([f"python -m {module}", *(shlex.quote(a) for a in args)])


class CpuShare:
    """CPU time spent outside this process's measured children while they ran.

    Call :meth:`start` before launching a measured subprocess and :meth:`other_cores` after it
    was reaped: the machine's busy CPU seconds minus the reaped children's, over the wall time.
    A value near 0 means nothing else ran; 1.0 means another job kept a whole core busy.

    Examples
    --------
    >>> share = CpuShare().start()
    >>> 0.0 <= share.other_cores() < 64
    True
    """

    def start(self) -> CpuShare:
        import time

        self._busy, self._own, self._t0 = _busy_cpu_seconds(), _children_cpu_seconds(), time.perf_counter()
        return self

    def other_cores(self) -> float:
        """Cores' worth of CPU used by anything but the reaped children since :meth:`start`."""
        import time

        wall = max(time.perf_counter() - self._t0, 1e-9)
        other = (_busy_cpu_seconds() - self._busy) - (_children_cpu_seconds() - self._own)
        return round(max(0.0, other) / wall, 2)


def sharing_note(other_cores, n_cores: int) -> str:
    """One sentence on whether other jobs shared the machine, from per-step ``other_cores``."""
    top = float(max(other_cores))
    if top <= 0.1:
        return (f"No other jobs ran (`other_cpu_cores`, the CPU used outside the measured processes, "
                f"at most {top:.2f} cores).")
    return (f"The machine was shared with other jobs (`other_cpu_cores` up to {top:.2f} of {n_cores} "
            "cores): absolute numbers are noisy; compare ratios within this run.")


def _busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all processes)."""
    import psutil

    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def _children_cpu_seconds() -> float:
    """User + system CPU seconds of this process's reaped children (the measured runs)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
