"""Numbers published in the STAN paper (Tang et al.), transcribed digit for digit.

Values are kept as the strings printed in the paper (e.g. Amulet's DAVIS MAE is printed with four
decimals, ``0.0837``), so tables can show them exactly as published; ``float()`` them to compute.
``tests/test_report_paper.py`` re-reads the paper's text, when present, and checks every number.

- Table 1: F-measure and MAE on FBMS and DAVIS of STAN ("Ours") and 19 other methods, 10 video
  and 9 image salient-object detectors. The paper does not say which F-measure (max, mean or
  adaptive) it reports.
- Table 2: DAVIS-2016 J (region similarity, IoU) and F (contour accuracy) mean, recall and decay,
  in percent, of five unsupervised video object segmentation methods and STAN.
- Table 3: average run time in seconds per frame on DAVIS of each method.
- Table 4: run time per frame of each STAN component on DAVIS, with its share of the total.
"""

from __future__ import annotations

#: method -> kind ("video" or "image") in Table 1, in the paper's column order
TABLE1_METHODS: dict[str, str] = {
    "ST": "video",
    "CS": "video",
    "SS": "video",
    "CG": "video",
    "SA": "video",
    "SFCN": "video",
    "MSST": "video",
    "SCNN": "video",
    "FGRNE": "video",
    "PDB": "video",
    "DCL": "image",
    "RFCN": "image",
    "DSMT": "image",
    "MDF": "image",
    "DSS": "image",
    "DHSN": "image",
    "Amulet": "image",
    "WSS": "image",
    "UCF": "image",
    "Ours": "video",
}

#: name of the paper's own method in Table 1 ("Ours") and elsewhere
PAPER_METHOD = "STAN"

#: Table 1: dataset -> metric -> method -> value as printed
TABLE1: dict[str, dict[str, dict[str, str]]] = {
    "FBMS": {
        "F-measure": dict(
            zip(
                TABLE1_METHODS,
                "0.581 0.426 0.292 0.606 0.567 0.756 0.797 0.780 0.779 0.815 "
                "0.774 0.757 0.727 0.674 0.788 0.760 0.747 0.707 0.716 0.812".split(),
                strict=True,
            )
        ),
        "MAE": dict(
            zip(
                TABLE1_METHODS,
                "0.180 0.176 0.378 0.172 0.182 0.102 0.088 0.105 0.083 0.069 "
                "0.153 0.108 0.123 0.134 0.082 0.086 0.110 0.117 0.150 0.087".split(),
                strict=True,
            )
        ),
    },
    "DAVIS": {
        "F-measure": dict(
            zip(
                TABLE1_METHODS,
                "0.519 0.387 0.376 0.627 0.528 0.749 0.817 0.774 0.786 0.849 "
                "0.755 0.731 0.734 0.684 0.748 0.785 0.723 0.675 0.741 0.834".split(),
                strict=True,
            )
        ),
        "MAE": dict(
            zip(
                TABLE1_METHODS,
                "0.140 0.115 0.432 0.095 0.106 0.055 0.045 0.074 0.043 0.030 "
                "0.132 0.068 0.087 0.102 0.066 0.042 0.0837 0.0733 0.108 0.041".split(),
                strict=True,
            )
        ),
    },
}

#: Table 2 columns, in order
TABLE2_METHODS = ("CUT", "FST", "SFL", "LMP", "FSEG", "STAN")
#: Table 2 rows: (measure, statistic); our text copy lost the J and F symbols, the order is the
#: DAVIS-2016 benchmark's (J mean, recall, decay, then F mean, recall, decay)
TABLE2_ROWS = (
    ("J", "mean"),
    ("J", "recall"),
    ("J", "decay"),
    ("F", "mean"),
    ("F", "recall"),
    ("F", "decay"),
)
#: Table 2 (DAVIS, percent): (measure, statistic) -> method -> value as printed
TABLE2: dict[tuple[str, str], dict[str, str]] = {
    row: dict(zip(TABLE2_METHODS, values.split(), strict=True))
    for row, values in zip(
        TABLE2_ROWS,
        (
            "55.2 55.8 67.4 70.0 70.7 71.1",
            "57.5 64.9 81.4 85.0 83.5 81.6",
            "2.2 0.0 6.2 1.3 1.5 0.0",
            "55.2 51.1 66.7 65.9 65.3 67.0",
            "61.0 51.6 77.1 79.2 73.8 77.6",
            "3.4 2.9 5.1 2.5 1.8 0.1",
        ),
        strict=True,
    )
}

#: Table 3: method -> seconds per frame on DAVIS, as printed
TABLE3: dict[str, str] = {
    "ST": "28.193",
    "CS": "1.175",
    "SS": "37.176",
    "CG": "38.075",
    "SA": "38.751",
    "SFCN": "0.473",
    "MSST": "2.021",
    "SCNN": "2.53",
    "PDB": "0.05",
    "DCL": "0.670",
    "RFCN": "4.580",
    "DSMT": "0.14",
    "MDF": "11.33",
    "DSS": "0.453",
    "DHSN": "0.465",
    "Amulet": "5.299",
    "UCF": "0.151",
    "WSS": "0.024",
    "STAN": "2.144",
}

#: Table 4: component -> (seconds per frame, percent of the total), as printed; keys are this
#: pipeline's stage names, ``TABLE4_LABELS`` the paper's wording
TABLE4: dict[str, tuple[str, str]] = {
    "flow": ("0.739", "34.5"),
    "prior": ("0.823", "38.3"),
    "network": ("0.102", "4.8"),
    "crf": ("0.480", "22.4"),
    "total": ("2.144", "100"),
}
TABLE4_LABELS: dict[str, str] = {
    "flow": "Optical flow computation",
    "prior": "Motion prior generation",
    "network": "Neural network processing",
    "crf": "Saliency refinement",
    "total": "Total",
}

#: the machine of Tables 3 and 4 (paper section 4.6)
PAPER_MACHINE = (
    "Intel i7-5820 CPU (3.3 GHz), Nvidia GeForce TITAN X GPU (12 GB), 64 GB RAM; "
    "optical flow by FlowNet 2.0"
)
