"""Shared fixtures: the team's data folder beside the repo, tiny synthetic datasets, the tiny
workflow run once per session, and early starts for runs that tests need later."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("STAN_SHARED_DATA", REPO.parent / "shared" / "data"))
DAVIS_ROOT = SHARED_DATA / "DAVIS"
SEGTRACK_ROOT = SHARED_DATA / "SegTrackV2"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
TINY_CONFIG = REPO / "workflow" / "configs" / "tiny.yaml"
TINY_BUNDLE = "results/bundles/synthetic/STAN.pt"


class Background:
    """A command for the background lane (``LANE``): started by the lane in its turn or by
    ``result`` if that comes first, after ``prepare()`` (its inputs), in a session of its own,
    its output kept in ``<log>.out`` and ``<log>.err``. ``result`` waits for it and gives what
    ``subprocess.run`` would have, or raises what ``prepare`` raised."""

    def __init__(self, cmd: list[str], log: Path, prepare=None):
        self.cmd, self.out, self.err = cmd, log.with_suffix(".out"), log.with_suffix(".err")
        self.prepare = prepare
        self.proc: subprocess.Popen | None = None
        self.error: Exception | None = None
        self.lock = threading.Lock()
        self.stopped = False

    def start(self) -> None:
        with self.lock:
            if self.proc is not None or self.error is not None or self.stopped:
                return
            try:
                if self.prepare is not None:
                    self.prepare()
                with open(self.out, "w") as out, open(self.err, "w") as err:
                    self.proc = subprocess.Popen(
                        self.cmd, stdout=out, stderr=err, start_new_session=True
                    )
            except Exception as error:  # raised by result, in the test that needs the run
                self.error = error

    def result(self, timeout: float = 1200) -> subprocess.CompletedProcess:
        self.start()
        if self.error is not None:
            raise self.error
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise
        return subprocess.CompletedProcess(
            self.cmd, code, self.out.read_text(errors="replace"), self.err.read_text()
        )

    def stop(self) -> None:
        """End the command and whatever it started (its process group), or keep it from
        starting."""
        with self.lock:
            self.stopped = True
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)


class Lane:
    """Runs the commands given to it one after another, in a thread beside the tests: one
    workflow run at a time next to the test that runs, so that the 2 cores are used when
    that test leaves one idle, without running many workflows (and their memory) at once."""

    def __init__(self):
        self.queue: list[Background] = []
        self.thread: threading.Thread | None = None

    def add(self, command: Background) -> Background:
        self.queue.append(command)
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        return command

    def _run(self) -> None:
        while self.queue:
            command = self.queue.pop(0)
            command.start()
            if command.proc is not None:
                command.proc.wait()

    def stop(self) -> None:
        while self.queue:
            self.queue.pop().stop()


LANE = Lane()


def copy_code(dst: Path) -> Path:
    """A copy of the workflow code (no virtualenv, results or git data) at ``dst``."""
    ignore = shutil.ignore_patterns(".venv", "results", ".snakemake", ".git", "*.egg-info")
    shutil.copytree(REPO, dst, ignore=ignore)
    return dst


@pytest.fixture(scope="module")
def code(tmp_path_factory) -> Path:
    """A private copy of the workflow code, so a test can edit it without touching the repo."""
    return copy_code(tmp_path_factory.mktemp("code") / "repo")


@pytest.fixture(scope="session")
def tiny_code(tmp_path_factory) -> Path:
    """The copy of the workflow code that ``tiny_run`` ran. A test may edit it to see what a
    dry run plans, and must put the original content back before it ends."""
    return copy_code(tmp_path_factory.mktemp("tiny-code") / "repo")


def workflow_command(workdir: Path, code: Path, *args: str, configs=()) -> list[str]:
    """Snakemake running the workflow in ``code`` on ``workdir`` with 2 cores, the config files
    ``configs`` over config.yaml; ``args``: targets and flags."""
    cmd = [SNAKEMAKE, "--snakefile", str(code / "Snakefile"), "--directory", str(workdir)]
    return [*cmd, "--cores", "2", *args, "--configfile", *map(str, configs)]


def tiny_command(workdir: Path, code: Path, *args: str, overlays=()) -> list[str]:
    """``workflow_command`` under tiny.yaml and then the config files ``overlays``."""
    return workflow_command(workdir, code, *args, configs=[TINY_CONFIG, *overlays])


def tiny_snakemake(workdir: Path, code: Path, *args: str, overlays=(), timeout: float = 1200):
    """Run ``tiny_command``; the completed process, output captured."""
    cmd = tiny_command(workdir, code, *args, overlays=overlays)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


# Runs given to the lane before the first test (working directory, command), by name, until the
# fixture that needs one takes it over (take_early).
EARLY: dict[str, tuple[Path, Background]] = {}


def queue_early(name: str, workdir: Path, command: Background) -> None:
    EARLY[name] = workdir, command
    LANE.add(command)


def take_early(name: str, make) -> tuple[Path, Background]:
    """The run queued as ``name``, or else a new one, ``make()``, that has not started."""
    return EARLY.pop(name, None) or make()


def queue_if_used(items, fixture: str, make) -> None:
    """For a module's ``start_early``: queue ``make()`` as ``fixture`` if a selected test uses
    that fixture."""
    if any(fixture in item.fixturenames for item in items):
        queue_early(fixture, *make())


def succeeded(run: Background, timeout: float = 1200) -> None:
    """Wait for ``run``; fail with the end of its error output unless it exited 0."""
    result = run.result(timeout=timeout)
    assert result.returncode == 0, result.stderr[-4000:]


def finished_run(fixture: str, make, timeout: float = 1200) -> Path:
    """The working directory of the run queued as ``fixture`` (or of ``make()``), once it
    completed successfully."""
    workdir, run = take_early(fixture, make)
    succeeded(run, timeout)
    return workdir


TINY_RUN: dict[str, tuple[Path, Background]] = {}


def tiny_run_command(tmp_path_factory, code: Path) -> tuple[Path, Background]:
    """The session's tiny run (see ``tiny_run``): made, not started, by the first call."""
    if "tiny" not in TINY_RUN:
        workdir = tmp_path_factory.mktemp("tiny-run")
        steps = [tiny_command(workdir, code), tiny_command(workdir, code, TINY_BUNDLE)]
        cmd = ["sh", "-c", " && ".join(map(shlex.join, steps))]
        TINY_RUN["tiny"] = workdir, Background(cmd, workdir.with_suffix(".log"))
    return TINY_RUN["tiny"]


def finished_tiny_run(tmp_path_factory, code: Path) -> Path:
    """The working directory of the session's tiny run, once it completed (from any thread)."""
    workdir, run = tiny_run_command(tmp_path_factory, code)
    succeeded(run)
    return workdir


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_code) -> Path:
    """The working directory of one run of the tiny workflow (workflow/configs/tiny.yaml, rule
    all), then of the STAN bundle (after the table, so that the bundle carries its scores), by
    the code in ``tiny_code``. Tests read it; one that runs more jobs works on a copy
    (``copy_tiny_run``), so every test sees it as the run left it."""
    return finished_tiny_run(tmp_path_factory, tiny_code)


def copy_tiny_run(tiny_run: Path, dst: Path, *, skip: tuple[str, ...] = ()) -> Path:
    """A copy of the tiny run's working directory, Snakemake's records and file times included,
    so that a run there under the same code (``tiny_code``) redoes only what its own config
    changes; ``skip``: paths under the working directory left out of the copy."""
    left_out = {tiny_run / path for path in skip}
    shutil.copytree(
        tiny_run,
        dst,
        symlinks=True,
        ignore=lambda folder, names: [n for n in names if Path(folder) / n in left_out],
    )
    return dst


def tiny_copy_command(
    request, name: str, make_inputs, overlay: str, *targets: str, skip: tuple[str, ...] = ()
) -> tuple[Path, Background]:
    """A workflow run in a copy of the session's tiny run (``copy_tiny_run``, ``skip`` left out),
    under tiny.yaml and the overlay ``<top>/<overlay>``; the copy and ``make_inputs(top)`` (its
    data and overlay) are made when the run starts, once the tiny run is complete. Returns the
    copy's working directory and the run, not started."""
    tmp_path_factory, code = map(request.getfixturevalue, ("tmp_path_factory", "tiny_code"))
    top = tmp_path_factory.mktemp(name)
    work = top / "work"

    def prepare() -> None:
        make_inputs(top)
        copy_tiny_run(finished_tiny_run(tmp_path_factory, code), work, skip=skip)

    cmd = tiny_command(work, code, *targets, overlays=[top / overlay])
    return work, Background(cmd, top / "run.log", prepare=prepare)


@pytest.fixture(scope="session")
def davis_root() -> Path:
    if not (DAVIS_ROOT / "JPEGImages" / "480p").is_dir():
        pytest.skip(f"DAVIS-2016 not found at {DAVIS_ROOT} (set STAN_SHARED_DATA)")
    return DAVIS_ROOT


@pytest.fixture(scope="session")
def tiny_synthetic(tmp_path_factory) -> Path:
    """A small synthetic set in the DAVIS layout (2 train + 1 test videos, 8 frames, 64x96)."""
    from stan.data.synthetic import SyntheticConfig, generate

    root = tmp_path_factory.mktemp("synthetic") / "synthetic"
    generate(SyntheticConfig(n_train=2, n_test=1, n_frames=8, height=64, width=96, seed=3), root)
    return root


@pytest.fixture(scope="session", autouse=True)
def early_starts(request, tmp_path_factory):
    """Before the first test, start the long runs that the selected tests need later, so that
    they use the CPU the tests before them leave idle (pytest runs one test at a time, the
    runners have 2 cores) and a SLURM run's minutes of polling overlap other tests: the tiny
    run, if a test uses it, is the first command of the background lane, and each test module
    that defines ``start_early(request, items)`` is handed its selected tests, to give
    the lane its runs (queue_early) or start runs that mostly wait. Such a function may return
    one that stops what is still running, called at the end of the session (the module's
    fixtures normally take its runs over and stop them first)."""
    items = request.session.items
    if any("tiny_run" in item.fixturenames for item in items):
        LANE.add(tiny_run_command(tmp_path_factory, request.getfixturevalue("tiny_code"))[1])
    selected: dict = {}
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and hasattr(module, "start_early"):
            selected.setdefault(module, []).append(item)
    stops = [module.start_early(request, items) for module, items in selected.items()]
    yield
    LANE.stop()
    for stop in stops:
        if stop is not None:
            stop()
    for _, run in [*EARLY.values(), *TINY_RUN.values()]:
        run.stop()
