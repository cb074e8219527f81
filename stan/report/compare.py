"""Measured benchmark rows beside the paper's Table 1 (F-measure, MAE) and Table 2 (DAVIS J/F).

Published values are shown exactly as printed (``stan.report.paper_numbers``); measured values
come from the evaluate stage's table (``results/tables/<dataset>.csv``: every metric averaged
over the frames of a video, then over videos). The paper does not say which F-measure Table 1
holds; we place our max F (the maximum over 256 thresholds of the F-measure, beta^2 = 0.3) beside
it and also list our mean and adaptive F.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from stan.io import InputError, reading
from stan.report.document import Document
from stan.report.paper_numbers import (
    PAPER_METHOD,
    TABLE1,
    TABLE1_METHODS,
    TABLE2,
    TABLE2_METHODS,
    TABLE2_ROWS,
)

log = logging.getLogger(__name__)

#: dataset adapter -> the paper's name of that dataset in Table 1
PAPER_DATASETS = {"davis": "DAVIS", "fbms": "FBMS"}
PUBLISHED = "published (Tang et al.)"
MEASURED = "measured here"


def _fmt(value: float, digits: int = 3) -> str:
    return "-" if pd.isna(value) else f"{value:.{digits}f}"


def saliency_rows(paper_dataset: str | None, measured: pd.DataFrame) -> pd.DataFrame:
    """Table 1 rows of ``paper_dataset`` (when the paper has it), then the measured rows."""
    rows = []
    if paper_dataset is not None:
        for method, kind in TABLE1_METHODS.items():
            name = f"{PAPER_METHOD} (Ours)" if method == "Ours" else method
            rows.append(
                {
                    "source": PUBLISHED,
                    "method": f"{name} [{kind}]",
                    "F-measure (paper) / max F (ours)": TABLE1[paper_dataset]["F-measure"][method],
                    "MAE": TABLE1[paper_dataset]["MAE"][method],
                    "mean F": "",
                    "adaptive F": "",
                    "S-measure": "",
                }
            )
    for row in measured.itertuples(index=False):
        rows.append(
            {
                "source": MEASURED,
                "method": row.method,
                "F-measure (paper) / max F (ours)": _fmt(row.maxF),
                "MAE": _fmt(row.MAE),
                "mean F": _fmt(row.meanF),
                "adaptive F": _fmt(row.adpF),
                "S-measure": _fmt(row.S),
            }
        )
    return pd.DataFrame(rows)


def segmentation_rows(with_paper: bool, measured: pd.DataFrame) -> pd.DataFrame:
    """Table 2 rows (DAVIS J/F in percent) when ``with_paper``, then the measured rows (x 100)."""
    columns = [f"{m} {s}" for m, s in TABLE2_ROWS]
    rows = []
    if with_paper:
        for method in TABLE2_METHODS:
            row = {"source": PUBLISHED, "method": method}
            row.update({f"{m} {s}": TABLE2[(m, s)][method] for m, s in TABLE2_ROWS})
            rows.append(row)
    for record in measured.to_dict("records"):
        row = {"source": MEASURED, "method": record["method"]}
        row.update({f"{m} {s}": _fmt(100 * record[f"{m}_{s}"], 1) for m, s in TABLE2_ROWS})
        rows.append(row)
    return pd.DataFrame(rows, columns=["source", "method", *columns])


def compare_with_paper(
    table_csv: str | Path,
    dataset: str,
    adapter: str,
    out_md: str | Path,
    out_html: str | Path | None = None,
    binarize_threshold: int = 128,
) -> Document:
    """Write the comparison of the measured table of ``dataset`` with the paper's numbers.

    ``adapter`` (the dataset's data adapter) picks the paper's dataset: davis -> DAVIS (Tables 1
    and 2), fbms -> FBMS (Table 1); for any other dataset only the measured rows are shown.
    """
    table_csv = Path(table_csv)
    if not table_csv.is_file():
        raise InputError(f"{table_csv}: benchmark table not found; run the evaluate stage")
    with reading(table_csv, "benchmark table"):
        measured = pd.read_csv(table_csv)
    needed = ["method", "n_videos", "n_frames", "maxF", "meanF", "adpF", "MAE", "S"]
    needed += [f"{m}_{s}" for m, s in TABLE2_ROWS]
    missing = [c for c in needed if c not in measured.columns]
    if missing:
        raise InputError(
            f"{table_csv}: not a benchmark table (missing columns {missing}); delete it and "
            "rerun the evaluate stage"
        )
    paper_dataset = PAPER_DATASETS.get(adapter)
    doc = Document(f"{dataset}: measured here vs published (STAN, Tang et al.)")
    n_videos = ", ".join(sorted({str(v) for v in measured["n_videos"]}))
    n_frames = ", ".join(sorted({str(v) for v in measured["n_frames"]}))
    doc.bullets(
        [
            f"'{PUBLISHED}' rows are copied exactly as printed in the paper; '{MEASURED}' rows "
            f"are this pipeline's results on the test split of dataset '{dataset}' "
            f"({n_videos} videos, {n_frames} annotated frames), from {table_csv.name}.",
            "Measured scores average the frames of each video, then the videos. The paper's "
            "test sets differ from ours unless the same split and annotations are used; on "
            "DAVIS-2016 the paper tests on the 20 validation videos.",
        ]
    )
    doc.heading("Saliency: F-measure and MAE (paper Table 1)")
    if paper_dataset is None:
        doc.paragraph(
            f"The paper reports no numbers for this dataset (adapter '{adapter}'); its Table 1 "
            "covers FBMS and DAVIS. Measured rows only."
        )
    else:
        doc.paragraph(
            f"Published column: the paper's {paper_dataset} numbers; [video]/[image] is the "
            "kind of detector."
        )
    doc.paragraph(
        "F-measure: the paper does not say which F-measure (max, mean or adaptive) Table 1 "
        "reports. We compare it with our max F (beta^2 = 0.3, the best of 256 thresholds per "
        "video, averaged over videos), the usual choice in video salient-object detection; our "
        "mean F and adaptive F are listed too. MAE is on maps scaled to [0, 1]."
    )
    doc.table(saliency_rows(paper_dataset, measured))
    doc.heading("Segmentation: DAVIS J and F (paper Table 2)")
    with_table2 = paper_dataset == "DAVIS"
    if with_table2:
        doc.paragraph(
            "J: region similarity (IoU); F: contour accuracy; mean, recall (fraction of frames "
            "above 0.5) and decay, in percent, by the DAVIS-2016 protocol (first and last "
            f"frames excluded). Our saliency maps are binarised at >= {binarize_threshold}/255."
        )
    else:
        doc.paragraph(
            "The paper's Table 2 is on DAVIS only; measured rows by the same DAVIS-2016 "
            f"protocol (maps binarised at >= {binarize_threshold}/255), in percent."
        )
    doc.table(segmentation_rows(with_table2, measured))
    doc.write(out_md, out_html)
    log.info("wrote %s", out_md)
    return doc
