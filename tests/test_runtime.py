"""The shared runtime: device choice, seeding and versioned checkpoint files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stan.io import InputError
from stan.runtime import (
    checkpoint_format,
    load_checkpoint,
    resolve_device,
    save_checkpoint,
    seed_everything,
)


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    assert count < 8  # cuda:7 is absent below
    with pytest.raises(InputError, match=r"predict\.device='cuda:7'"):
        resolve_device("cuda:7", "predict.device")
    if not count:
        with pytest.raises(InputError, match="no CUDA device"):
            resolve_device("cuda", "train.device")
    with pytest.raises(InputError, match="--device='gpu'"):
        resolve_device("gpu", "--device")


def test_seed_everything_repeats_draws():
    seed_everything(5)
    a = (np.random.rand(), torch.rand(3))
    seed_everything(5)
    b = (np.random.rand(), torch.rand(3))
    assert a[0] == b[0] and torch.equal(a[1], b[1])


def test_checkpoint_round_trip_and_format(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(
        path, "stan-model", {"model": {"w": torch.ones(2)}, "model_config": {}, "step": 3}
    )
    ckpt = load_checkpoint(path, "stan-model")
    assert ckpt["format"] == checkpoint_format("stan-model") == "stan-model/1"
    assert ckpt["step"] == 3 and torch.equal(ckpt["model"]["w"], torch.ones(2))
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_stan_checkpoint_without_format_is_accepted(tmp_path):
    path = tmp_path / "old.pt"
    torch.save({"model": {}, "model_config": {}, "step": 1}, path)
    assert load_checkpoint(path, "stan-model")["step"] == 1


def test_damaged_checkpoint_names_file_and_fix(tmp_path):
    path = tmp_path / "STAN.pt"
    save_checkpoint(
        path, "stan-model", {"model": {"w": torch.ones(1000)}, "model_config": {}, "step": 1}
    )
    path.write_bytes(path.read_bytes()[:300])  # truncated
    with pytest.raises(InputError) as error:
        load_checkpoint(path, "stan-model")
    message = str(error.value)
    assert str(path) in message and "damaged" in message and "delete it" in message
    assert "snakemake -R train_model" in message and "weights_only=False" not in message
    path.write_bytes(b"not a torch file")
    with pytest.raises(InputError, match="damaged"):
        load_checkpoint(path, "stan-prior")


def test_checkpoint_with_pickled_objects_is_refused_as_damaged(tmp_path):
    path = tmp_path / "pickled.pt"
    torch.save({"model": {}, "model_config": {}, "step": 1, "extra": object()}, path)
    with pytest.raises(InputError, match="damaged"):
        load_checkpoint(path, "stan-model")


def test_wrong_kind_and_version(tmp_path):
    path = tmp_path / "prior.pt"
    save_checkpoint(path, "stan-prior", {"model": {}, "model_config": {}})
    with pytest.raises(
        InputError, match=r"motion-prior checkpoint \(stan-prior/3\), not a STAN model"
    ):
        load_checkpoint(path, "stan-model")
    torch.save({"format": "stan-prior/2", "model": {}, "model_config": {}}, path)
    with pytest.raises(InputError, match="format stan-prior/2, this code reads stan-prior/3"):
        load_checkpoint(path, "stan-prior")
    torch.save({"weights": torch.zeros(1)}, path)
    with pytest.raises(InputError, match="not a STAN model bundle"):
        load_checkpoint(path, "stan-bundle")
    with pytest.raises(InputError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt", "stan-model")
