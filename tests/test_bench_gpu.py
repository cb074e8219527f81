"""bench/bench_gpu.py runs end to end (toy sizes on the CPU) and writes its Markdown report."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_benchmark_smoke_run_writes_a_report(tmp_path):
    out = tmp_path / "gpu.md"
    cmd = [sys.executable, str(REPO / "bench" / "bench_gpu.py"), "--smoke", "--device", "cpu"]
    result = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    text = out.read_text()
    assert "SMOKE RUN" in text and "- machine: " in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "s/" in line]
    assert [row.split(" | ")[0] for row in rows] == [
        "| STAN training, full fine-tuning",
        "| FlowNet2 flow (random weights)",
        "| STAN prediction",
    ]
    for row in rows:
        seconds = float(row.split(" | ")[2].split()[0])
        assert seconds > 0
