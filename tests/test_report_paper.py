"""The paper's numbers are transcribed exactly, and the comparison tables show them as printed."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from stan.report import compare_with_paper
from stan.report.paper_numbers import (
    TABLE1,
    TABLE1_METHODS,
    TABLE2,
    TABLE2_METHODS,
    TABLE2_ROWS,
    TABLE3,
    TABLE4,
)

REPO = Path(__file__).resolve().parents[1]
PAPER = Path(os.environ.get("STAN_PAPER_TEXT", REPO.parent / "shared" / "paper" / "stan-paper.txt"))


@pytest.fixture(scope="module")
def paper_lines() -> list[str]:
    if not PAPER.is_file():
        pytest.skip(f"paper text not found at {PAPER} (set STAN_PAPER_TEXT)")
    return [line.strip() for line in PAPER.read_text(encoding="utf-8").splitlines()]


def after(lines: list[str], start: str, prefix: str, count: int) -> list[list[str]]:
    """The values of the first ``count`` lines starting with ``prefix`` after line ``start``."""
    begin = lines.index(start)
    rows = [line for line in lines[begin:] if line.startswith(prefix)][:count]
    return [re.sub(r"^" + re.escape(prefix), "", line).split() for line in rows]


def test_table1_as_published(paper_lines):
    methods = list(TABLE1_METHODS)
    table1 = paper_lines[paper_lines.index("Table 1") :]
    headers = [
        next(line for line in table1 if line.startswith(p)) for p in ("Method ST", "Method DCL")
    ]
    assert [h.split()[1:] for h in headers] == [methods[:10], methods[10:]]
    f_rows = after(paper_lines, "Table 1", "F-measure ↑ ", 4)
    mae_rows = after(paper_lines, "Table 1", "MAE ↓ ", 4)
    # printed order: FBMS then DAVIS for the first ten methods, then again for the next ten
    for half, offset in ((0, 0), (1, 10)):
        for d, dataset in enumerate(("FBMS", "DAVIS")):
            names = methods[offset : offset + 10]
            assert f_rows[2 * half + d] == [TABLE1[dataset]["F-measure"][m] for m in names]
            assert mae_rows[2 * half + d] == [TABLE1[dataset]["MAE"][m] for m in names]


def test_table2_as_published(paper_lines):
    header = next(line for line in paper_lines if line.startswith("Dataset Metric CUT"))
    assert header.split()[2:] == list(TABLE2_METHODS)
    start = paper_lines.index(header)
    printed = []
    for line in paper_lines[start:]:
        if re.match(r"^(mean|recall|decay) [\d. ]+$", line):
            printed.append(line.split())
        if len(printed) == 6:
            break
    for (measure, statistic), values in zip(TABLE2_ROWS, printed, strict=True):
        assert values[0] == statistic
        assert values[1:] == [TABLE2[(measure, statistic)][m] for m in TABLE2_METHODS]


def test_tables_3_and_4_as_published(paper_lines):
    start = paper_lines.index("Comparison average run time (seconds per frame)")
    printed = {}
    lines = paper_lines[start : start + 20]
    for names, times in zip(lines, lines[1:], strict=False):
        if names.startswith("Method ") and times.startswith("Time(s) "):
            printed.update(zip(names.split()[1:], times.split()[1:], strict=True))
    assert printed == TABLE3
    text = "\n".join(paper_lines)
    for label, key in (
        ("Optical flow computation", "flow"),
        ("Motion prior generation", "prior"),
        ("Neural network processing", "network"),
        ("Saliency refinement", "crf"),
        ("Total", "total"),
    ):
        assert f"{label} {TABLE4[key][0]} {TABLE4[key][1]}" in text


def test_transcription_is_self_consistent():
    assert len(TABLE1_METHODS) == 20 and list(TABLE1_METHODS).count("Ours") == 1
    for dataset in ("FBMS", "DAVIS"):
        for metric in ("F-measure", "MAE"):
            assert list(TABLE1[dataset][metric]) == list(TABLE1_METHODS)
            assert all(0 < float(v) < 1 for v in TABLE1[dataset][metric].values())
    stages = sum(float(TABLE4[k][0]) for k in ("flow", "prior", "network", "crf"))
    assert stages == pytest.approx(float(TABLE4["total"][0]), abs=1e-9)
    assert TABLE3["STAN"] == TABLE4["total"][0]
    assert TABLE1["DAVIS"]["F-measure"]["Ours"] == "0.834"  # STAN's row as the text states


def measured_table(path: Path) -> Path:
    """A benchmark table shaped like the evaluate stage's, with two methods."""
    rows = []
    for method, f in (("flow-magnitude", 0.61234), ("STAN+crf", 0.8)):
        row = {"method": method, "n_videos": 8, "n_frames": 640, "maxF": f, "meanF": f - 0.1}
        row.update(adpF=f - 0.05, MAE=0.05, S=0.7, maxE=0.8, meanE=0.7, adpE=0.75, wF=0.5)
        row.update(J_mean=0.6, J_recall=0.7, J_decay=0.051, F_mean=0.55, F_recall=0.6)
        row.update(F_decay=-0.01)
        rows.append(row)
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def markdown_tables(text: str) -> list[pd.DataFrame]:
    """Every pipe table of a Markdown text as a DataFrame of strings."""
    tables, block = [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append([c.strip() for c in line.strip("|").split(" | ")])
        elif block:
            tables.append(pd.DataFrame(block[2:], columns=block[0]))
            block = []
    return tables


def test_davis_comparison_holds_published_numbers_exactly(tmp_path):
    table = measured_table(tmp_path / "davis.csv")
    doc = compare_with_paper(table, "davis", "davis", tmp_path / "c.md", tmp_path / "c.html")
    text = (tmp_path / "c.md").read_text()
    saliency, segmentation = markdown_tables(text)
    published = saliency[saliency["source"] == "published (Tang et al.)"]
    assert len(published) == 20
    for method, value, mae in zip(
        published["method"],
        published["F-measure (paper) / max F (ours)"],
        published["MAE"],
        strict=True,
    ):
        key = "Ours" if method.startswith("STAN") else method.split(" [")[0]
        assert value == TABLE1["DAVIS"]["F-measure"][key]
        assert mae == TABLE1["DAVIS"]["MAE"][key]
    assert "0.0837" in published["MAE"].tolist()  # printed precision is kept
    measured = saliency[saliency["source"] == "measured here"].set_index("method")
    assert measured.loc["flow-magnitude", "F-measure (paper) / max F (ours)"] == "0.612"
    assert "max F" in text and "does not say which F-measure" in text
    seg = segmentation.set_index("method")
    for method in TABLE2_METHODS:
        for measure, statistic in TABLE2_ROWS:
            assert seg.loc[method, f"{measure} {statistic}"] == TABLE2[(measure, statistic)][method]
    assert seg.loc["STAN+crf", "J mean"] == "60.0" and seg.loc["STAN+crf", "J decay"] == "5.1"
    html = (tmp_path / "c.html").read_text()
    assert "<table" in html and "0.0837" in html and doc.title in html


def test_fbms_and_other_datasets(tmp_path):
    table = measured_table(tmp_path / "t.csv")
    compare_with_paper(table, "fbms", "fbms", tmp_path / "f.md")
    saliency, segmentation = markdown_tables((tmp_path / "f.md").read_text())
    fbms = saliency.set_index("method")
    assert fbms.loc["PDB [video]", "MAE"] == TABLE1["FBMS"]["MAE"]["PDB"]
    assert set(segmentation["source"]) == {"measured here"}  # Table 2 is DAVIS only
    compare_with_paper(table, "mine", "videos", tmp_path / "m.md")
    text = (tmp_path / "m.md").read_text()
    assert "reports no numbers for this dataset" in text
    assert "published" not in "".join(markdown_tables(text)[0]["source"])
