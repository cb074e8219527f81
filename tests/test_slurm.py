"""Snakemake profiles against a real SLURM cluster, and reruns after killed jobs.

Tests marked ``slurm`` use the single-node cluster of ``.ci/slurm``: one that already runs (with
a ``debug`` partition), or one this module starts with ``.ci/slurm/start.sh`` (root and apt-get
needed) and stops again at the end. Where that cannot be done they skip, saying why; with
``STAN_REQUIRE_SLURM=1`` (CI) they fail instead. All SLURM runs of the module are started at once
(they mostly wait on the plugin's status checks), so the module takes about as long as the
slowest run: the tiny synthetic workflow, a few minutes on 2 cores. Where a cluster already runs
when the session starts (CI starts one before pytest), they start before the session's first
test (``start_early``), and their waiting overlaps the tests of the other modules.

The rerun tests run locally on small Snakefiles and on the tiny workflow.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import yaml

from stan.io import read_gray

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
PROFILES = REPO / "profiles"
CI_PROFILE = PROFILES / "slurm-ci"
TINY_CONFIG = REPO / "workflow" / "configs" / "tiny.yaml"
TINY_TARGET = "results/tables/synthetic.csv"
START = REPO / ".ci" / "slurm" / "start.sh"
STOP = REPO / ".ci" / "slurm" / "stop.sh"
REQUIRE_SLURM = os.environ.get("STAN_REQUIRE_SLURM") == "1"
RUN_TIMEOUT = 900  # seconds for one Snakemake run; a hang in a status check must not block CI
MARKER = "STAN-CI-DELIBERATE-FAILURE"
SUBMITTED = re.compile(r"Job (\S+) has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.")
JOB_HEADER = re.compile(r"^(local)?(rule|checkpoint) (\w+):", re.MULTILINE)


# ---------------------------------------------------------------------------- helpers


@dataclass
class Snakemake:
    """A Snakemake process started in its own session, its output going to a log file."""

    proc: subprocess.Popen
    log: Path
    workdir: Path
    returncode: int | None = None

    @classmethod
    def start(cls, workdir: Path, *args: str, name: str = "snakemake") -> Snakemake:
        workdir.mkdir(parents=True, exist_ok=True)
        log = workdir.parent / f"{workdir.name}.{name}.log"
        attempt = 1
        while log.exists():  # keep the logs of earlier runs in the same directory
            attempt += 1
            log = workdir.parent / f"{workdir.name}.{name}-{attempt}.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [SNAKEMAKE, "--directory", str(workdir), *args],
                cwd=workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(proc, log, workdir)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def wait(self, timeout: float = RUN_TIMEOUT) -> int:
        if self.returncode is None:
            try:
                self.returncode = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                pytest.fail(
                    f"snakemake in {self.workdir} ran over {timeout} s; its log {self.log} ends:\n"
                    + self.tail()
                )
        return self.returncode

    def kill(self, sig: int = signal.SIGTERM) -> None:
        """Signal the process group this object started (Snakemake and its local jobs)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)

    def wait_for(self, pattern: str, timeout: float = 300) -> re.Match:
        """Poll the log until ``pattern`` (a regex) shows up; fail if the run ends first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.text(), re.MULTILINE)
            if match:
                return match
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        pytest.fail(f"{pattern!r} never appeared in {self.log}; it ends:\n{self.tail()}")

    def submissions(self) -> list[tuple[str, Path]]:
        """(SLURM job id, SLURM log file) of every job the executor plugin submitted."""
        return [(m[1], Path(m[2])) for m in SUBMITTED.findall(self.text())]


def snakemake(workdir: Path, *args: str, timeout: float = RUN_TIMEOUT) -> Snakemake:
    """Run Snakemake to the end (see ``Snakemake.start``)."""
    run = Snakemake.start(workdir, *args)
    run.wait(timeout)
    return run


def tiny_workflow_args(*extra: str) -> list[str]:
    return [
        "--snakefile",
        str(REPO / "Snakefile"),
        TINY_TARGET,
        "--configfile",
        str(TINY_CONFIG),
        str(TINY_CONFIG.with_name("tiny-baseline.yaml")),
        *extra,
    ]


def slurm_states(job_ids: list[str]) -> dict[str, str]:
    """SLURM's own record of the jobs: sacct where accounting runs, else squeue (MinJobAge)."""
    ids = ",".join(job_ids)
    acct = subprocess.run(
        ["sacct", "-X", "-n", "-P", "-j", ids, "-o", "JobIDRaw,State"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    rows = acct.stdout.splitlines() if acct.returncode == 0 else []
    if not rows:
        queue = subprocess.run(
            ["squeue", "-h", "--states=all", "-j", ids, "-o", "%i|%T"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        rows = queue.stdout.splitlines()
    states = dict(row.strip().split("|", 1) for row in rows if "|" in row)
    return {job: states[job].split()[0] for job in job_ids if job in states}  # "CANCELLED by 0"


def wait_for_job_script(run: Snakemake, timeout: float = 120) -> None:
    """Wait until a local job's script (``.snakemake/scripts/tmp*.py``) runs under ``run``."""
    import psutil  # a dependency of Snakemake

    deadline = time.monotonic() + timeout
    parent = psutil.Process(run.proc.pid)
    while time.monotonic() < deadline:
        assert run.proc.poll() is None, "the run ended before it could be terminated"
        try:
            for child in parent.children(recursive=True):
                if any(".snakemake/scripts/" in arg for arg in child.cmdline()):
                    return
        except psutil.Error:  # a child ended while we looked
            pass
        time.sleep(0.02)
    pytest.fail(f"no job script started within {timeout} s; {run.log} ends:\n{run.tail()}")


def executed_rules(log_text: str, local: bool) -> set[str]:
    """Rules whose jobs a Snakemake log shows starting: ``localrule`` or remote ``rule`` lines."""
    return {m[2] for m in JOB_HEADER.findall(log_text) if bool(m[0]) == local}


def job_outputs(log_text: str, rule: str) -> list[str]:
    """The outputs of every job of ``rule`` that a local Snakemake log shows starting."""
    blocks = re.findall(
        rf"^local(?:rule|checkpoint) {rule}:\n((?:    .*\n)+)", log_text, re.MULTILINE
    )
    outputs = []
    for block in blocks:
        line = re.search(r"^    output: (.*)$", block, re.MULTILINE)
        outputs += line[1].split(", ") if line else []
    return outputs


def same_outputs(a: Path, b: Path) -> None:
    """The table CSV and every saliency PNG of two working directories are identical."""
    table_a, table_b = (d / TINY_TARGET for d in (a, b))
    assert table_a.read_text() == table_b.read_text(), f"{table_a} and {table_b} differ"
    maps_a = sorted(p.relative_to(a) for p in (a / "results" / "saliency").rglob("*.png"))
    maps_b = sorted(p.relative_to(b) for p in (b / "results" / "saliency").rglob("*.png"))
    assert maps_a and maps_a == maps_b
    for rel in maps_a:
        assert np.array_equal(read_gray(a / rel), read_gray(b / rel)), f"{rel} differs"


def skip_or_fail(reason: str) -> None:
    if REQUIRE_SLURM:
        pytest.fail(f"STAN_REQUIRE_SLURM=1 but {reason}")
    pytest.skip(reason)


def cluster_ready() -> bool:
    """A SLURM controller answers and has a usable node in partition `debug`."""
    if shutil.which("sinfo") is None:
        return False
    try:
        out = subprocess.run(
            ["sinfo", "-h", "-p", "debug", "-o", "%T"], capture_output=True, text=True, timeout=20
        )
    except subprocess.TimeoutExpired:
        return False
    return out.returncode == 0 and bool(
        {"idle", "mixed", "allocated", "completing"} & set(out.stdout.split())
    )


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def slurm_cluster():
    """The local CI cluster: found running, or started here and stopped after the module."""
    if cluster_ready():
        yield
        return
    if os.geteuid() != 0:
        skip_or_fail("no SLURM cluster runs here and starting one (.ci/slurm/start.sh) needs root")
    if shutil.which("slurmctld") is None and shutil.which("apt-get") is None:
        skip_or_fail("no SLURM cluster runs here and there is no apt-get to install one")
    started = subprocess.run(["bash", str(START)], capture_output=True, text=True, timeout=900)
    if started.returncode == 2:
        skip_or_fail(f"{START} cannot start a cluster here: {started.stderr.strip()}")
    assert started.returncode == 0, f"{START} failed:\n{started.stdout}\n{started.stderr}"
    assert cluster_ready(), f"{START} returned but sinfo shows no usable node:\n{started.stdout}"
    yield
    subprocess.run(["bash", str(STOP)], capture_output=True, text=True, timeout=300)


def start_tiny_local(tmp_path_factory) -> Snakemake:
    return Snakemake.start(
        tmp_path_factory.mktemp("tiny") / "local", *tiny_workflow_args("--cores", "2")
    )


@pytest.fixture(scope="module")
def tiny_local(tmp_path_factory) -> Snakemake:
    """The tiny workflow run locally: the reference the other runs must reproduce."""
    run = EARLY.pop("tiny_local", None) or start_tiny_local(tmp_path_factory)
    yield run
    run.kill()


FAILING_SNAKEFILE = """
rule all:
    input:
        "gpu.txt",
        "broken.txt",
        "victim.txt",


rule gpu_job:
    output:
        "gpu.txt",
    resources:
        gpu={gpus},
        runtime=10,
        mem_mb=200,
    shell:
        "echo SLURM_JOB_ID=$SLURM_JOB_ID > {{output}}"


rule broken:
    output:
        "broken.txt",
    log:
        "logs/broken.log",
    params:
        code=config.get("broken_exit", 3),
    resources:
        runtime=10,
        mem_mb=200,
    shell:
        "echo {marker} | tee {{log}}; "
        "if [ {{params.code}} -ne 0 ]; then exit {{params.code}}; fi; touch {{output}}"


rule victim:
    output:
        "victim.txt",
    params:
        seconds=config.get("victim_seconds", 600),
    resources:
        runtime=20,
        mem_mb=200,
    shell:
        "echo partial > {{output}}; sleep {{params.seconds}}; echo done >> {{output}}"
"""


@dataclass
class FailingRun:
    """A workflow through SLURM where one job fails and one is cancelled by `scancel`."""

    run: Snakemake
    gpus: int
    victim_id: str | None = None
    victim_saw_partial: bool = False
    cancel_error: str | None = None
    thread: threading.Thread | None = field(default=None, repr=False)

    @classmethod
    def start(cls, workdir: Path) -> FailingRun:
        workdir.mkdir(parents=True)
        gres = subprocess.run(
            ["sinfo", "-h", "-p", "debug", "-o", "%G"], capture_output=True, text=True
        )
        gpus = 1 if "gpu" in gres.stdout else 0
        (workdir / "Snakefile").write_text(FAILING_SNAKEFILE.format(marker=MARKER, gpus=gpus))
        self = cls(Snakemake.start(workdir, "--profile", str(CI_PROFILE)), gpus)
        self.thread = threading.Thread(target=self._cancel_victim, daemon=True)
        self.thread.start()
        return self

    def _cancel_victim(self) -> None:
        """Once the victim job runs and has written its partial output, scancel it."""
        try:
            deadline = time.monotonic() + 600
            partial = self.run.workdir / "victim.txt"
            while time.monotonic() < deadline and self.run.proc.poll() is None:
                if self.victim_id is None:
                    ids = [j for j, log in self.run.submissions() if "rule_victim" in str(log)]
                    self.victim_id = ids[0] if ids else None
                elif partial.is_file() and partial.read_text().strip() == "partial":
                    self.victim_saw_partial = True
                    subprocess.run(["scancel", self.victim_id], check=True, timeout=60)
                    return
                time.sleep(0.5)
            self.cancel_error = "the victim job never ran with its partial output"
        except Exception as error:  # reported by the test that needs the cancellation
            self.cancel_error = repr(error)

    def wait(self) -> int:
        code = self.run.wait()
        self.thread.join(timeout=60)
        return code

    def cleanup(self) -> None:
        self.run.kill()
        ids = [job for job, _ in self.run.submissions()]
        if ids:
            subprocess.run(["scancel", *ids], capture_output=True, timeout=60)


@dataclass
class SlurmRuns:
    tiny: Snakemake
    failing: FailingRun

    @classmethod
    def start(cls, tmp_path_factory) -> SlurmRuns:
        root = tmp_path_factory.mktemp("slurm")
        return cls(
            tiny=Snakemake.start(root / "tiny", *tiny_workflow_args("--profile", str(CI_PROFILE))),
            failing=FailingRun.start(root / "failing"),
        )

    def stop(self) -> None:
        self.tiny.kill()
        self.failing.cleanup()


@pytest.fixture(scope="module")
def slurm_runs(slurm_cluster, tiny_local, tmp_path_factory):
    """Start the SLURM runs of this module together (or take over those that start_early
    started); each test waits for the one it needs."""
    runs = EARLY.pop("slurm_runs", None) or SlurmRuns.start(tmp_path_factory)
    yield runs
    runs.stop()


# Runs that start_early started, taken over by the fixtures above.
EARLY: dict[str, Snakemake | SlurmRuns] = {}


def start_early(request, items: list[pytest.Item]):
    """Called by tests/conftest.py before the session's first test, with this module's selected
    tests: start the runs that their fixtures need and that mostly wait, the local tiny run and,
    where a SLURM cluster already runs, the SLURM runs (started otherwise with the module, by
    slurm_cluster's rules). Returns what stops the runs no fixture took over."""
    tmp_path_factory = request.getfixturevalue("tmp_path_factory")
    needed = set().union(*(item.fixturenames for item in items))
    atexit.register(stop_early)  # also when the session ends without its teardown
    if "tiny_local" in needed:
        EARLY["tiny_local"] = start_tiny_local(tmp_path_factory)
    if "slurm_runs" in needed and cluster_ready():
        EARLY["slurm_runs"] = SlurmRuns.start(tmp_path_factory)
    return stop_early


def stop_early() -> None:
    while EARLY:
        _, run = EARLY.popitem()
        if isinstance(run, Snakemake):
            run.kill()
        else:
            run.stop()


# ---------------------------------------------------------------------------- profiles


def load_profile(name: str) -> dict:
    return yaml.safe_load((PROFILES / name / "config.yaml").read_text())


def flatten(tree: dict, prefix: str = "") -> dict[str, object]:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


# Keys that describe a site (capacity, partitions, accounts, polling), which slurm-ci may change.
SITE_KEYS = re.compile(
    r"^(jobs|cores|latency-wait|group-components\..+|default-resources\.slurm_(partition|account)"
    r"|set-resources\..+\.(slurm_partition|slurm_account|gpu_model)"
    r"|slurm-(init-seconds-before-status-checks|partition-config|no-account|qos|reservation))$"
)


def test_ci_profile_changes_only_site_keys():
    main, ci = flatten(load_profile("slurm")), flatten(load_profile("slurm-ci"))
    changed = {key for key in main.keys() | ci.keys() if main.get(key) != ci.get(key)}
    assert changed, "profiles/slurm-ci should set the CI cluster's partition and short waits"
    assert {key for key in changed if not SITE_KEYS.match(key)} == set()
    assert ci["default-resources.slurm_partition"] == "debug"
    assert ci["slurm-init-seconds-before-status-checks"] * 3 < 300  # well below MinJobAge


def test_profiles_name_only_existing_rules():
    smk = "\n".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    rules = set(re.findall(r"^(?:rule|checkpoint) (\w+):", smk, re.MULTILINE))
    for name in ("default", "local-gpu", "slurm", "slurm-ci"):
        profile = load_profile(name)
        named = set(profile.get("groups", {})) | set(profile.get("set-resources", {}))
        named |= set(profile.get("set-threads", {}))
        assert named <= rules, f"profiles/{name} names rules the workflow lacks: {named - rules}"
        groups = set(profile.get("groups", {}).values())
        assert set(profile.get("group-components", {})) <= groups, f"profiles/{name}"


def test_slurm_profile_keeps_status_checks_safe_without_accounting():
    for name in ("slurm", "slurm-ci"):
        profile = load_profile(name)
        assert profile["executor"] == "slurm"
        assert profile["slurm-status-command"] == "squeue", (
            f"profiles/{name}: sacct hangs without slurmdbd"
        )
        assert "slurm_extra" not in str(
            profile.get("set-resources", {})
        )  # plugin 2.8 rejects --gres there


# ---------------------------------------------------------------------------- SLURM


@pytest.mark.slurm
@pytest.mark.slow
def test_tiny_workflow_through_slurm_matches_local_run(slurm_runs, tiny_local):
    slurm = slurm_runs.tiny
    assert slurm.wait() == 0, f"SLURM run failed; {slurm.log} ends:\n{slurm.tail()}"
    assert tiny_local.wait() == 0, f"local run failed; {tiny_local.log} ends:\n{tiny_local.tail()}"

    # Every submitted job is a real SLURM job that completed, with its SLURM log kept.
    submitted = slurm.submissions()
    assert submitted, f"no job went through SLURM; {slurm.log} ends:\n{slurm.tail()}"
    states = slurm_states([job for job, _ in submitted])
    assert states == {job: "COMPLETED" for job, _ in submitted}
    in_slurm = set()
    for _, log in submitted:
        text = log.read_text()
        assert "Host: " in text, f"{log} is not a Snakemake job log"
        in_slurm |= executed_rules(text, local=True)
    # Each rule ran in a SLURM job unless the workflow keeps it local; together they are the
    # rules of the local run.
    kept_local = executed_rules(slurm.text(), local=True)
    assert executed_rules(slurm.text(), local=False) <= in_slurm
    assert in_slurm | kept_local == executed_rules(tiny_local.text(), local=True)
    assert in_slurm, "no rule of the workflow ran inside a SLURM job"

    same_outputs(tiny_local.workdir, slurm.workdir)


@pytest.mark.slurm
@pytest.mark.slow
def test_failing_job_fails_the_run_and_its_logs_are_kept(slurm_runs):
    failing = slurm_runs.failing
    assert failing.wait() != 0
    text = failing.run.text()
    assert "Error in rule broken" in text
    broken = [(j, log) for j, log in failing.run.submissions() if "rule_broken" in str(log)]
    assert len(broken) == 1, f"{failing.run.log} ends:\n{failing.run.tail()}"
    (job, slurm_log) = broken[0]
    assert slurm_states([job]) == {job: "FAILED"}
    # The error message points at both the rule's log and the SLURM log, and both hold the output.
    assert str(slurm_log) in text.split("Error in rule broken", 1)[1]
    assert MARKER in slurm_log.read_text()
    assert MARKER in (failing.run.workdir / "logs" / "broken.log").read_text()


@pytest.mark.slurm
@pytest.mark.slow
def test_gpu_rule_asks_slurm_for_a_gpu(slurm_runs):
    failing = slurm_runs.failing
    failing.wait()
    if not failing.gpus:
        skip_or_fail("the cluster's debug partition has no GPU (gres) to request")
    job = (failing.run.workdir / "gpu.txt").read_text().strip().split("=", 1)[1]
    assert job in {j for j, _ in failing.run.submissions()}
    shown = subprocess.run(["scontrol", "show", "job", job], capture_output=True, text=True).stdout
    assert "gpu:1" in shown, f"job {job} was not given a GPU:\n{shown}"


@pytest.mark.slurm
@pytest.mark.slow
def test_cancelled_job_leaves_no_output_and_a_rerun_completes(slurm_runs):
    failing = slurm_runs.failing
    failing.wait()
    assert failing.cancel_error is None, failing.cancel_error
    assert failing.victim_saw_partial, "the victim job never wrote its partial output"
    assert slurm_states([failing.victim_id]) == {failing.victim_id: "CANCELLED"}
    assert not (failing.run.workdir / "victim.txt").exists(), "a cancelled job left its output"

    # No clean-up by hand: the same command, with the failing settings fixed, completes.
    rerun = snakemake(
        failing.run.workdir,
        "--profile",
        str(CI_PROFILE),
        "--config",
        "victim_seconds=1",
        "broken_exit=0",
        timeout=600,
    )
    assert rerun.returncode == 0, f"{rerun.log} ends:\n{rerun.tail()}"
    assert (failing.run.workdir / "victim.txt").read_text() == "partial\ndone\n"
    assert {job for job, _ in rerun.submissions()}, "the rerun did not go through SLURM"


# ---------------------------------------------------------------------------- reruns, locally

SLEEPER = """
rule all:
    input:
        "out/b.txt",


rule a:
    output:
        "out/a.txt",
    params:
        seconds=config.get("seconds", 120),
    shell:
        "echo partial > {output}; sh -c 'echo $$ > job.pid; exec sleep {params.seconds}'; "
        "echo done >> {output}"


rule b:
    input:
        "out/a.txt",
    output:
        "out/b.txt",
    shell:
        "cp {input} {output}"
"""


def start_sleeper(tmp_path: Path) -> Snakemake:
    (tmp_path / "Snakefile").write_text(SLEEPER)
    run = Snakemake.start(tmp_path, "--cores", "1", name="first")
    deadline = time.monotonic() + 120
    while not (tmp_path / "job.pid").is_file() and time.monotonic() < deadline:
        assert run.proc.poll() is None, run.tail()
        time.sleep(0.1)
    assert (tmp_path / "out" / "a.txt").read_text() == "partial\n"
    return run


def finish_sleeper(tmp_path: Path, *args: str) -> Snakemake:
    return snakemake(tmp_path, "--cores", "1", "--config", "seconds=0", *args)


@pytest.mark.slow
def test_rerun_after_the_job_process_is_killed(tmp_path):
    """A job killed from outside (the OOM killer, say): the run fails, a plain rerun completes."""
    run = start_sleeper(tmp_path)
    os.kill(int((tmp_path / "job.pid").read_text()), signal.SIGKILL)
    assert run.wait(120) != 0
    assert not (tmp_path / "out" / "a.txt").exists(), "the failed job's partial output was kept"
    rerun = finish_sleeper(tmp_path)
    assert rerun.returncode == 0, rerun.tail()
    assert (tmp_path / "out" / "b.txt").read_text() == "partial\ndone\n"


@pytest.mark.slow
def test_rerun_after_snakemake_is_terminated(tmp_path):
    """SIGTERM (Ctrl-C, a batch system's time limit): partial outputs go, a plain rerun completes."""
    run = start_sleeper(tmp_path)
    run.kill(signal.SIGTERM)
    assert run.wait(120) != 0
    assert not (tmp_path / "out" / "a.txt").exists()
    rerun = finish_sleeper(tmp_path)
    assert rerun.returncode == 0, rerun.tail()
    assert (tmp_path / "out" / "b.txt").read_text() == "partial\ndone\n"


@pytest.mark.slow
def test_rerun_after_snakemake_is_killed_hard(tmp_path):
    """SIGKILL or power loss: the partial output is flagged, never used; --rerun-incomplete redoes it.

    The lock of the killed run stays behind; `--unlock` removes it (the one manual step).
    """
    run = start_sleeper(tmp_path)
    run.kill(signal.SIGKILL)
    assert (tmp_path / "out" / "a.txt").read_text() == "partial\n"
    assert snakemake(tmp_path, "--unlock", "--cores", "1").returncode == 0
    refused = finish_sleeper(tmp_path)
    assert refused.returncode != 0 and "IncompleteFilesException" in refused.text()
    # The project's default workflow profile sets rerun-incomplete, so a plain rerun suffices.
    rerun = finish_sleeper(tmp_path, "--workflow-profile", str(PROFILES / "default"))
    assert rerun.returncode == 0, rerun.tail()
    assert (tmp_path / "out" / "b.txt").read_text() == "partial\ndone\n"


@pytest.mark.slow
def test_tiny_workflow_reruns_after_termination_mid_job(tmp_path, tiny_local):
    """The real workflow, terminated while a per-video job runs, completes on a plain rerun."""
    workdir = tmp_path / "work"
    run = Snakemake.start(workdir, *tiny_workflow_args("--cores", "2"), name="first")
    run.wait_for(r"^localrule (video_flow|flow_magnitude):", timeout=600)
    # Snakemake prints a job before its script process exists; a signal sent in between lets
    # Snakemake start the job anyway and wait for it, so wait until a job script runs.
    wait_for_job_script(run)
    run.kill(signal.SIGTERM)
    assert run.wait(120) != 0
    text = run.text()
    started = executed_rules(text, local=True)
    finished = set(re.findall(r"Finished jobid: \d+ \(Rule: (\w+)\)", text))
    interrupted = started - finished
    assert interrupted, f"the kill landed between jobs; {run.log} ends:\n{run.tail()}"
    # Outputs only appear complete: those of the interrupted jobs are gone, none is left flagged.
    for rule in interrupted:
        for output in job_outputs(text, rule):
            assert not (workdir / output).exists(), f"{output} of the interrupted {rule} was kept"
    assert not any((workdir / ".snakemake" / "incomplete").glob("*"))
    assert not (workdir / TINY_TARGET).exists()

    rerun = snakemake(workdir, *tiny_workflow_args("--cores", "2"))
    assert rerun.returncode == 0, rerun.tail()
    assert interrupted <= executed_rules(rerun.text(), local=True)
    assert tiny_local.wait() == 0, tiny_local.tail()
    same_outputs(tiny_local.workdir, workdir)
