"""The fault suite: each kind of damaged, stale or wrong input stops the run with a message that
names the file or config key, exits non-zero, and leaves no output Snakemake would take as
complete; edits rerun exactly what depends on them.

The workflow runs on a tiny dataset in the DAVIS layout (3 videos of 8 frames, 64x96) with the
flow-magnitude baseline as the only method, from a private copy of the code (so a test can edit
a module). Killed jobs (SIGTERM, SIGKILL) are covered by tests/test_slurm.py
(test_rerun_after_*) and a resumed training by tests/test_train.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from stan.io import InputError

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
TABLE = "results/tables/mine.csv"
TEST_VIDEO = "synth-val-00"
TRAIN_VIDEO = "synth-train-00"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """The tiny dataset (DAVIS layout: 2 train videos, 1 test video)."""
    from stan.data.synthetic import SyntheticConfig, generate

    root = tmp_path_factory.mktemp("pristine") / "mine"
    generate(SyntheticConfig(n_train=2, n_test=1, n_frames=8, height=64, width=96, seed=5), root)
    return root


@pytest.fixture
def dataset(pristine, tmp_path) -> Path:
    """A copy of the tiny dataset that the test may damage."""
    root = tmp_path / "data" / "mine"
    shutil.copytree(pristine, root)
    return root


def overlay(workdir: Path, root: Path, extra: str = "") -> Path:
    path = workdir / "overlay.yaml"
    workdir.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "datasets: [mine]\n"
        f"data:\n  mine: {{adapter: davis, root: {root}, test_split: val}}\n"
        # no trained J/F threshold: the baseline's table then reads the test videos only
        "evaluate:\n  methods: [flow-magnitude]\n  threshold_videos: 0\n" + extra
    )
    return path


def snakemake(workdir: Path, root: Path, *args: str, code: Path, extra: str = ""):
    """Run the workflow (targets and flags in ``args``) on dataset ``root`` in ``workdir``."""
    config = overlay(workdir, root, extra)
    cmd = [SNAKEMAKE, "--snakefile", str(code / "Snakefile"), "--directory", str(workdir)]
    cmd += ["--cores", "2", *args, "--configfile", str(REPO / "workflow/configs/tiny.yaml")]
    cmd += [str(config)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    result.text = result.stdout + result.stderr
    return result


def planned(result) -> dict[str, list[str]]:
    """Rule -> wildcards of each job a dry run plans."""
    jobs: dict[str, list[str]] = {}
    for rule, body in re.findall(
        r"^(?:local)?(?:rule|checkpoint) (\w+):\n(.*?)(?=^\S|\Z)", result.stdout, re.M | re.S
    ):
        match = re.search(r"wildcards: (.*)", body)
        jobs.setdefault(rule, []).append(match[1] if match else "")
    return jobs


def job_inputs(result, rule: str) -> str:
    match = re.search(rf"^(?:local)?rule {rule}:\n\s+input: (.*)", result.stdout, re.M)
    assert match, f"no {rule} job in:\n{result.stdout[-3000:]}"
    return match[1]


def rewrite(path: Path, change) -> None:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(path), change(image))


def failed(result, *needles: str) -> None:
    assert result.returncode != 0, result.text[-3000:]
    for needle in needles:
        assert needle in result.text, f"{needle!r} not in:\n{result.text[-4000:]}"


# --- a run of the tiny table, then edits -----------------------------------------------------


@pytest.fixture(scope="module")
def done(pristine, code, tmp_path_factory):
    """The flow-magnitude table built once on its own dataset copy: (workdir, dataset root)."""
    base = tmp_path_factory.mktemp("done")
    root = base / "data" / "mine"
    shutil.copytree(pristine, root)
    workdir = base / "work"
    result = snakemake(workdir, root, TABLE, code=code)
    assert result.returncode == 0, result.text[-4000:]
    return workdir, root


def dry_run(done, code, *targets: str):
    workdir, root = done
    result = snakemake(workdir, root, "--dry-run", *(targets or (TABLE,)), code=code)
    assert result.returncode == 0, result.text[-4000:]
    return result


def edit_and_restore(done, code, path: Path, change):
    """Change ``path``, dry-run, put the original bytes back and check nothing is planned."""
    original = path.read_bytes()
    rewrite(path, change)
    try:
        jobs = planned(dry_run(done, code))
    finally:
        path.write_bytes(original)
    # The restored file is newer but has the content the jobs saw: nothing to do.
    assert "Nothing to be done" in dry_run(done, code).text
    return jobs


def test_changed_frame_reruns_its_video_only(done, code):
    frame = done[1] / "JPEGImages/480p" / TEST_VIDEO / "00003.jpg"
    jobs = edit_and_restore(done, code, frame, lambda im: 255 - im)
    # The mask check compares with the frame sizes, so it reruns too (and so the scores).
    assert set(jobs) == {
        "check_frames",
        "check_masks",
        "video_flow",
        "flow_magnitude",
        "score_method",
        "table",
    }
    assert all(len(v) == 1 for v in jobs.values())
    assert TEST_VIDEO in jobs["check_frames"][0] and TEST_VIDEO in jobs["video_flow"][0]
    # A training video's frame is no input of the baseline's table, but one of training.
    train_frame = done[1] / "JPEGImages/480p" / TRAIN_VIDEO / "00002.jpg"
    original = train_frame.read_bytes()
    rewrite(train_frame, lambda im: 255 - im)
    try:
        assert "Nothing to be done" in dry_run(done, code).text
        result = dry_run(done, code, "results/models/mine/OS.pt")
    finally:
        train_frame.write_bytes(original)
    assert str(train_frame) in job_inputs(result, "train_model")


def test_changed_mask_reruns_its_video_only(done, code):
    mask = done[1] / "Annotations/480p" / TEST_VIDEO / "00004.png"
    jobs = edit_and_restore(done, code, mask, lambda m: 255 - m)
    # The jobs that read only frames (flow, the baseline maps) do not rerun.
    assert set(jobs) == {"check_masks", "score_method", "table"}
    assert all(len(v) == 1 for v in jobs.values()) and TEST_VIDEO in jobs["check_masks"][0]


def test_code_edit_reruns_the_rules_that_import_it(done, code):
    """stan/baseline/flow_magnitude.py (the camera model) is imported by the baseline rule and,
    through stan.prior, by the prior rules; not by flow or the data checks."""
    module = code / "stan" / "baseline" / "flow_magnitude.py"
    original = module.read_text()
    module.write_text(original + "\n# an edit\n")
    try:
        jobs = planned(dry_run(done, code))
        prior = dry_run(done, code, f"results/priors/mine/{TEST_VIDEO}")
    finally:
        module.write_text(original)
    assert set(jobs) == {"flow_magnitude", "score_method", "table"}
    for rule in ("train_motion_prior", "motion_prior"):
        assert str(module) in job_inputs(prior, rule)
    assert "stan/baseline" not in job_inputs(prior, "check_frames")
    assert "Nothing to be done" in dry_run(done, code).text


def test_corrupt_flow_cache_is_named_and_not_used(done, code, tmp_path):
    workdir = tmp_path / "work"
    shutil.copytree(done[0], workdir, symlinks=True)
    npz = workdir / "results/flow/mine/dis" / f"{TEST_VIDEO}.npz"
    npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])
    result = snakemake(workdir, done[1], TABLE, "--forcerun", "flow_magnitude", code=code)
    failed(result, str(npz.relative_to(workdir)), "damaged flow cache", "delete it")
    assert "allow_pickle" not in result.text
    assert not (workdir / "results/saliency/mine/flow-magnitude" / TEST_VIDEO).exists()


# --- damaged or inconsistent datasets --------------------------------------------------------


def test_truncated_frame_stops_the_data_stage(dataset, code, tmp_path):
    frame = dataset / "JPEGImages/480p" / TRAIN_VIDEO / "00005.jpg"
    frame.write_bytes(frame.read_bytes()[: frame.stat().st_size // 2])
    result = snakemake(tmp_path / "work", dataset, "data", code=code)
    failed(result, str(frame), "truncated or corrupt", "data.mine.root")
    assert not (tmp_path / "work/results/checks/mine" / f"{TRAIN_VIDEO}.frames.csv").exists()


def test_wrong_size_masks_in_train_and_test(dataset, code, tmp_path):
    masks = [dataset / "Annotations/480p" / v / "00002.png" for v in (TRAIN_VIDEO, TEST_VIDEO)]
    for mask in masks:
        cv2.imwrite(str(mask), np.zeros((32, 48), np.uint8))
    result = snakemake(tmp_path / "work", dataset, "--keep-going", "data", code=code)
    failed(result, *(f"{mask}: mask size 48x32 differs" for mask in masks))
    for video in (TRAIN_VIDEO, TEST_VIDEO):
        assert not (tmp_path / "work/results/checks/mine" / f"{video}.masks.csv").exists()


def test_one_frame_video(dataset, code, tmp_path):
    for sub, ext in (("JPEGImages", "jpg"), ("Annotations", "png")):
        for path in sorted((dataset / sub / "480p" / TRAIN_VIDEO).glob(f"*.{ext}"))[1:]:
            path.unlink()
    result = snakemake(tmp_path / "work", dataset, "data", code=code)
    failed(result, f"{TRAIN_VIDEO}/00000.jpg", "has 1 frame", "data.mine.root")
    assert not (tmp_path / "work/results/manifests/mine.csv").exists()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/JPEGImages/480p/ghost/00000.jpg /Annotations/480p/ghost/00000.png", "['ghost']"),
        ("ghost 00000", "val.txt:9: cannot read split line"),
    ],
    ids=["missing-sequence", "malformed-line"],
)
def test_bad_split_file(dataset, code, tmp_path, line, message):
    split = dataset / "ImageSets/480p/val.txt"
    split.write_text(split.read_text() + line + "\n")
    result = snakemake(tmp_path / "work", dataset, "data", code=code)
    failed(result, str(split), message)
    assert not (tmp_path / "work/results/manifests/mine.csv").exists()


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ("{frames: 5-30, box: [0, 0, 10, 10]}", "frames ['5-30'] are not in the video"),
        ("{frames: all, box: [200, 100, 300, 200]}", "lies outside the 96x64 frame"),
    ],
    ids=["frames-past-the-end", "box-outside-the-frame"],
)
def test_bad_erase_file(done, code, tmp_path, region, message):
    erase = tmp_path / "erase" / "mine" / f"{TRAIN_VIDEO}.yaml"
    erase.parent.mkdir(parents=True)
    erase.write_text(f"regions:\n  - {region}\n")
    extra = f"coarse:\n  erase_dir: {tmp_path / 'erase'}\n"
    result = snakemake(*done, "--dry-run", "coarse", code=code, extra=extra)
    failed(result, f"{erase}:2", message)
    assert not (done[0] / "results/coarse").exists()


def test_unwritable_output_folder(dataset, code, tmp_path):
    """An output folder that cannot be created (here a file stands in its way)."""
    work = tmp_path / "work"
    (work / "results").mkdir(parents=True)
    (work / "results" / "checks").write_text("not a folder\n")
    result = snakemake(work, dataset, "data", code=code)
    failed(result, "results/checks")
    assert not (work / "results/checks").is_dir()


# --- the config, checked before any job ------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("predict:\n  batch_size: 0\n", "['predict']['batch_size']"),
        ("train:\n  batch_size: -1\n", "['train']['batch_size']"),
        ("train:\n  input_size: [60, 96]\n", "['train']['properties']['input_size']"),
        ("model:\n  window: 0\n", "['model']['properties']['window']"),
    ],
    ids=["predict.batch_size", "train.batch_size", "train.input_size", "model.window"],
)
def test_out_of_range_config(dataset, code, tmp_path, extra, key):
    result = snakemake(tmp_path / "work", dataset, "--dry-run", TABLE, code=code, extra=extra)
    failed(result, "Error validating config", key)
    assert not (tmp_path / "work/results").exists()


def test_unknown_method_lists_the_valid_names(dataset, code, tmp_path):
    # an ensemble needs a STAN variant and two members at least; STAN-ens3 and STAN-s1 are valid
    methods = "[flow-magnitud, STAN+crf, STAN-s1, STAN-ens3+crf, motion-prior-ens2, STAN-ens1]"
    extra = f"evaluate:\n  methods: {methods}\n"
    result = snakemake(tmp_path / "work", dataset, "--dry-run", TABLE, code=code, extra=extra)
    unknown = "['flow-magnitud', 'motion-prior-ens2', 'STAN-ens1']"
    failed(result, "config key evaluate.methods", unknown, "'flow-magnitude'")
    assert not (tmp_path / "work/results").exists()


# --- damaged caches and checkpoints, read directly -------------------------------------------


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if how == "truncated" else b"\x80\x04junk" * 64)


def assert_damaged(call, path: Path, strict: bool = True) -> None:
    with pytest.raises(Exception) as err:
        call(path)
    message = str(err.value)
    assert str(path) in message and "damaged" in message
    if strict:
        assert isinstance(err.value, InputError) and "pickle" not in message.lower()


@pytest.mark.parametrize("how", ["truncated", "garbage"])
def test_corrupt_feature_cache(tmp_path, how):
    import h5py

    from stan.inputs.features import read_cache_meta

    path = tmp_path / "v.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("conv3", data=np.zeros((4, 8, 16, 16), np.float16))
        h5.attrs["frames"] = "[]"
    damage(path, how)
    assert_damaged(read_cache_meta, path)


@pytest.mark.parametrize("how", ["truncated", "garbage"])
def test_corrupt_checkpoints(tmp_path, how):
    import torch

    from stan.prior.model import load_checkpoint as load_prior
    from stan.runtime import load_checkpoint

    path = tmp_path / "model.pt"
    torch.save({"model": {"w": torch.zeros(64, 64)}, "model_config": {}, "step": 1}, path)
    damage(path, how)
    for kind in ("stan-model", "stan-prior", "stan-bundle"):
        assert_damaged(lambda p, kind=kind: load_checkpoint(p, kind), path)
    assert_damaged(load_prior, path)


def test_corrupt_tables(tmp_path):
    from stan.evaluate import SCORE_COLUMNS, make_table
    from stan.evaluate.plots import load_curves

    curves = tmp_path / "m_curves.npz"
    np.savez(curves, thresholds=np.arange(256.0))
    damage(curves, "truncated")
    assert_damaged(lambda p: load_curves(p, "m"), curves)
    # A score table cut at a row boundary still parses: it is caught by its missing videos.
    scores = pd.DataFrame([[v, 8] + [0.5] * (len(SCORE_COLUMNS) - 2) for v in "abc"])
    scores.columns = list(SCORE_COLUMNS)
    paths = {m: tmp_path / f"{m}.csv" for m in ("A", "B")}
    scores.to_csv(paths["A"], index=False)
    scores.iloc[:2].to_csv(paths["B"], index=False)
    with pytest.raises(InputError, match=f"{paths['B']}: scores videos that differ"):
        make_table(paths, tmp_path / "table.csv")
    assert not (tmp_path / "table.csv").exists()


def test_stale_label_table(tmp_path):
    from stan.train.inputs import read_label_table

    table = tmp_path / "label_sources.csv"
    gone = tmp_path / "coarse" / "v" / "00001.png"
    pd.DataFrame(
        [("v", "00001", str(gone), "coarse")], columns=["video", "frame", "label_path", "source"]
    ).to_csv(table, index=False)
    with pytest.raises(InputError, match=f"{table}: lists 1 label files that do not exist"):
        read_label_table(table)
