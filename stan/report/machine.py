"""A short description of the machine a table was made on: CPU model, CPU count, GPU."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_flags(wanted: tuple[str, ...]) -> list[str]:
    """Those of ``wanted`` that /proc/cpuinfo lists among the CPU's feature flags (Linux)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return [f for f in wanted if f in flags]
    return []


def usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def gpu_names() -> list[str]:
    """Names of the NVIDIA GPUs that ``nvidia-smi`` lists (empty when none or no driver)."""
    try:
        result = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if result.returncode != 0:
        return []
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def describe_machine() -> dict[str, str]:
    """``cpu``, ``cpus``, ``gpu``, ``host`` and ``os`` of the current machine, as strings."""
    gpus = gpu_names()
    return {
        "cpu": cpu_model(),
        "cpus": str(usable_cpus()),
        "gpu": ", ".join(gpus) if gpus else "none",
        "host": platform.node() or "unknown",
        "os": f"{platform.system()} {platform.release()}",
    }
