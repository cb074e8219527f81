"""Print, as JSON lines, the jobs (rule, wildcards, params, resources) that Snakemake would run
for some targets under some config files: the data stage runs for real first (the manifests are
checkpoints, the rest of the DAG depends on them), then the rest is a dry run.

    python tests/dag_jobs.py WORKDIR CONFIGFILE... [--target T ...]

Run in a subprocess by tests/test_shipped_configs.py (Snakemake's API keeps global state).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml
from snakemake.api import SnakemakeApi
from snakemake.settings.types import (
    ConfigSettings,
    DAGSettings,
    OutputSettings,
    ResourceSettings,
)
from snakemake.utils import update_config

REPO = Path(__file__).resolve().parents[1]


def merged_config(configfiles: list[Path]) -> dict:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    for path in configfiles:
        update_config(config, yaml.safe_load(path.read_text()) or {})
    return config


def plain(value):
    """Job params as JSON: Snakemake's Namedlist and friends become lists and dicts."""
    return json.loads(
        json.dumps(value, default=lambda v: dict(v) if hasattr(v, "keys") else list(v))
    )


def open_workflow(api: SnakemakeApi, args: argparse.Namespace):
    """The repository's workflow on ``args.workdir`` under ``args.configfiles``, one core."""
    return api.workflow(
        resource_settings=ResourceSettings(cores=1),
        config_settings=ConfigSettings(configfiles=args.configfiles),
        snakefile=REPO / "Snakefile",
        workdir=args.workdir,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workdir", type=Path)
    parser.add_argument("configfiles", type=Path, nargs="*")
    parser.add_argument("--target", action="append", default=[])
    args = parser.parse_args()
    config = merged_config(args.configfiles)
    datasets = list(dict.fromkeys(config["datasets"] + config["train"]["datasets"]))
    manifests = [f"results/manifests/{d}.csv" for d in datasets]
    with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
        workflow = open_workflow(api, args)
        workflow.dag(dag_settings=DAGSettings(targets=manifests)).execute_workflow()
    with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
        workflow = open_workflow(api, args)
        dag = workflow.dag(dag_settings=DAGSettings(targets=args.target or ["all"]))
        dag.execute_workflow(executor="dryrun")
        for job in workflow._workflow.dag.jobs:
            resources = {k: v for k, v in job.resources.items() if isinstance(v, int | float)}
            print(
                "JOB "
                + json.dumps(
                    {
                        "rule": job.rule.name,
                        "wildcards": dict(job.wildcards),
                        "params": plain(dict(job.params.items())),
                        "resources": resources,
                    }
                )
            )


if __name__ == "__main__":
    main()
