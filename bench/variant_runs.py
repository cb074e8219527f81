"""Retrain STAN variants with other seeds or settings and score them on the held-out split.

Reads what a DAG run of the same configuration left under ``results/`` (manifest, motion priors,
flow, and with ``model.frozen_backbone`` the feature cache), so it measures how much a table row
depends on the seed, the step count or the input size without rerunning the whole workflow. Each
run trains with the pipeline's own ``stan.train.train_model``, predicts the test split with
``stan.predict.stage.predict_dataset``, scores with ``stan.evaluate.score_method`` and, with
``--crf``, refines with ``stan.crf.stage.refine_video`` (the ``+crf`` row). A run whose input size
differs from the cached features caches its own features under ``--work`` first.

    # seed spread of STAN at the davis-dev setting (after the davis-dev DAG run)
    .venv/bin/python bench/variant_runs.py --configfile workflow/configs/davis-dev.yaml \\
        --variant STAN --runs '{"train": {"seed": 1}}' '{"train": {"steps": 2400}}' --crf

    # rank the variants over seeds; --table adds the DAG's own row (the configured seed) to
    # the mean +- std summary
    .venv/bin/python bench/variant_runs.py --configfile workflow/configs/davis-dev.yaml \\
        --variant ST STC STL STLC STAN --runs '{"train": {"seed": 1}}' '{"train": {"seed": 2}}' \\
        --table results/tables/davis.csv

With ``--reuse`` a run whose model under ``--work`` was trained with the same settings is only
predicted and scored again (e.g. to add ``--crf``). Runs go seed by seed over all variants, and
the report is rewritten after each run, so a cut session keeps every finished run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, machine, markdown_table, merged_config, write_report  # noqa: E402

SCORES = ["maxF", "MAE", "S", "J_mean"]


def run_name(overrides: dict) -> str:
    parts = [f"{k}={v}" for section in overrides.values() for k, v in section.items()]
    return ",".join(parts) or "as configured"


def finished_training(checkpoint: Path, model: dict, train: dict) -> float | None:
    """Training seconds of ``checkpoint`` if it was trained with exactly these settings, else None."""
    from stan.model.config import ModelConfig
    from stan.runtime import load_checkpoint
    from stan.train.checkpoint import trained_with
    from stan.train.config import TrainConfig

    if not checkpoint.is_file():
        return None
    ckpt = load_checkpoint(checkpoint, "stan-model")
    model_config = ModelConfig.from_dict(model).to_dict()
    same = trained_with(ckpt, model_config, TrainConfig.from_dict(train).to_dict())
    return float(ckpt["metrics"]["seconds_this_run"]) if same else None


def one_run(args, variant: str, config: dict, overrides: dict, work: Path, threads: int) -> dict:
    from stan.crf.stage import refine_video
    from stan.data.manifest import load_manifest, videos
    from stan.evaluate import score_method
    from stan.inputs.features import cache_features
    from stan.train import train_model

    dataset = args.dataset
    model = {**config["model"], "variant": variant, **overrides.get("model", {})}
    if not model.get("backbone_weights") and model["backbone_init"] == "hed":
        # as the workflow's backbone_weights(): the HED weights converted by rule hed_weights
        model["backbone_weights"] = str(REPO / "results/models/backbone/hed_vgg16.pt")
    train = {**config["train"], "threads": threads, **overrides.get("train", {})}
    manifest_csv = REPO / f"results/manifests/{dataset}.csv"
    flow_root = REPO / f"results/flow/{dataset}/{config['flow']['method']}"
    prior_root = REPO / f"results/priors/{dataset}"
    features = None
    name = run_name(overrides)
    out = work / dataset / variant / name.replace("/", "_").replace(" ", "")
    out.mkdir(parents=True, exist_ok=True)
    result = {"variant": variant, "run": name}
    if model["frozen_backbone"]:
        features = REPO / f"results/features/{dataset}"
        if list(train["input_size"]) != list(config["train"]["input_size"]):
            features = work / dataset / "features_{}x{}".format(*train["input_size"])
            start = time.perf_counter()
            cache_features(manifest_csv, features, model, train["input_size"], threads=threads)
            result["features_s"] = round(time.perf_counter() - start)
    trained = finished_training(out / "model.pt", model, train) if args.reuse else None
    if trained is not None:
        result["train_s"] = round(trained)  # the reused run's own training time
    else:
        start = time.perf_counter()
        train_model(
            manifest_csv=manifest_csv,
            out_checkpoint=out / "model.pt",
            log_path=out / "steps.jsonl",
            model_config=model,
            train_config=train,
            prior_root=prior_root,
            flow_root=flow_root,
            label_table=None,
            feature_cache=features,
        )
        result["train_s"] = round(time.perf_counter() - start)

    from stan.predict.stage import predict_dataset

    manifest = load_manifest(manifest_csv)
    tests = videos(manifest, "test")
    predict_dataset(
        manifest_csv=manifest_csv,
        checkpoint=out / "model.pt",
        out_root=out / "maps",
        predict_config={**config["predict"], "threads": threads},
        prior_root=prior_root,
        flow_root=flow_root,
        feature_cache=features,
        videos=tests,
    )
    threshold = config["evaluate"]["binarize_threshold"]
    score_method(
        manifest,
        out / "maps",
        variant,
        out / "s.csv",
        out / "c.npz",
        binarize_threshold=threshold,
    )
    result.update(pd.read_csv(out / "s.csv")[SCORES].mean().round(4).to_dict())
    if args.crf:
        jobs = [(manifest, v, out / "maps" / v, out / "crf" / v, config["crf"]) for v in tests]
        with Pool(threads) as pool:
            pool.starmap(refine_video, jobs)
        name = f"{variant}+crf"
        score_method(
            manifest,
            out / "crf",
            name,
            out / "sc.csv",
            out / "cc.npz",
            binarize_threshold=threshold,
        )
        crf_scores = pd.read_csv(out / "sc.csv")[SCORES].mean().round(4)
        result.update({f"crf {k}": v for k, v in crf_scores.items()})
    return result


def table_rows(path: Path, variants: list[str]) -> list[dict]:
    """The DAG's own rows (the configured seed) for ``variants`` from a results table, with the
    ``<variant>+crf`` row's scores as the crf columns where the table has one."""
    table = pd.read_csv(path).set_index("method")
    rows = []
    for variant in variants:
        if variant not in table.index:
            continue
        row = {"variant": variant, "run": f"as configured ({path.name})"}
        row |= {k: round(float(table.at[variant, k]), 4) for k in SCORES}
        if f"{variant}+crf" in table.index:
            row |= {f"crf {k}": round(float(table.at[f"{variant}+crf", k]), 4) for k in SCORES}
        rows.append(row)
    return rows


def summary(rows: list[dict], variants: list[str]) -> str:
    """Mean +- sample std of each score (and +crf score, where measured) per variant over its runs."""
    frame = pd.DataFrame(rows)
    scores = SCORES + [f"crf {k}" for k in SCORES if f"crf {k}" in frame]
    lines = []
    for variant in variants:
        part = frame[frame["variant"] == variant]
        if part.empty:
            continue
        cells = [variant, str(len(part))]
        for k in scores:
            values = part[k].dropna().astype(float)
            spread = values.std() if len(values) > 1 else float("nan")
            cell = f"{values.mean():.4f} +- {spread:.4f}" if len(values) else "-"
            if 0 < len(values) < len(part):
                cell += f" ({len(values)} runs)"  # e.g. +crf, absent from the DAG table's row
            cells.append(cell)
        lines.append(cells)
    return markdown_table(["variant", "runs", *scores], lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--configfile", nargs="*", default=[])
    parser.add_argument("--dataset", default="davis")
    parser.add_argument("--variant", nargs="+", default=["STAN"])
    parser.add_argument(
        "--runs",
        nargs="+",
        default=["{}"],
        help='one JSON object of {"model": {...}, "train": {...}} overrides per run',
    )
    parser.add_argument("--crf", action="store_true", help="also score the +crf maps")
    parser.add_argument(
        "--table",
        default=None,
        help="results table (e.g. results/tables/davis.csv) whose rows of these variants join "
        "the summary as the configured run",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="skip training where --work already holds a model trained with the same settings",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", default="/tmp/stan-variant-runs")
    parser.add_argument("--out", default=None, help="Markdown report path")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    config = merged_config(args.configfile)
    if args.table and not Path(args.table).is_file():
        sys.exit(f"--table {args.table}: no such file (run the DAG first or drop --table)")
    known = table_rows(Path(args.table), args.variant) if args.table else []
    rows, keys = [], ["variant", "run"]
    for row in known:  # the table's crf columns show even when no run here adds --crf
        keys += [k for k in row if k not in keys]
    for text in args.runs:
        for variant in args.variant:
            result = one_run(args, variant, config, json.loads(text), Path(args.work), args.threads)
            print(json.dumps(result), flush=True)
            keys += [k for k in result if k not in keys]
            rows.append(result)
            lines = [
                f"# {', '.join(args.variant)} on the {args.dataset} test split, retrained",
                "",
                f"Machine: {machine()}. Command: `{' '.join(sys.argv)}`.",
                "",
                markdown_table(keys, [[r.get(k, "-") for k in keys] for r in known + rows]),
                "",
                "Mean +- sample standard deviation over the runs above:",
                "",
                summary(known + rows, args.variant),
            ]
            write_report(args.out, "\n".join(lines))


if __name__ == "__main__":
    main()
