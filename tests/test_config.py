"""config.yaml and every ready-made config validate; typos are rejected."""

from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config, validate
from snakemake_interface_common.exceptions import WorkflowError

from stan.model.config import ModelConfig
from stan.predict.stage import PredictConfig
from stan.prior.config import PriorConfig
from stan.train.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
CONFIGS = sorted((REPO / "workflow" / "configs").glob("*.yaml"))


def merged(*overlays: Path) -> dict:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    for overlay in overlays:
        update_config(config, yaml.safe_load(overlay.read_text()))
    return config


@pytest.mark.parametrize("overlay", CONFIGS, ids=[c.name for c in CONFIGS])
def test_configs_validate_and_build(overlay):
    config = merged(overlay)
    validate(config, SCHEMA)
    ModelConfig.from_dict(config["model"])
    # train.datasets is the workflow's (it names the training set), the rest is TrainConfig's
    TrainConfig.from_dict({k: v for k, v in config["train"].items() if k != "datasets"})
    PredictConfig.from_dict(config["predict"])
    PriorConfig.from_params(config["prior"])


def test_schema_describes_every_key():
    schema = yaml.safe_load(Path(SCHEMA).read_text())

    def walk(node, path):
        for name, prop in node.get("properties", {}).items():
            assert "description" in prop, f"{path}.{name} has no description"
            walk(prop, f"{path}.{name}")

    walk(schema, "config")


def test_a_typo_is_rejected():
    config = merged()
    config["train"]["stpes"] = 10
    with pytest.raises(WorkflowError) as error:
        validate(config, SCHEMA)
    assert "stpes" in str(error.value.args)
