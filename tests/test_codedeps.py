"""The stan/ files a workflow script depends on, from its imports (stan.codedeps)."""

from __future__ import annotations

from pathlib import Path

from stan.codedeps import import_closure

REPO = Path(__file__).resolve().parents[1]


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_closure_follows_absolute_relative_and_lazy_imports(tmp_path):
    write(
        tmp_path,
        {
            "stan/__init__.py": "",
            "stan/a/__init__.py": "from .b import run\n",
            "stan/a/b.py": "from . import c\nfrom ..d import helper\n",
            "stan/a/c.py": "def f():\n    import stan.e.f\n",
            "stan/d.py": "import numpy\n",
            "stan/e/__init__.py": "",
            "stan/e/f.py": "",
            "stan/unused.py": "",
            "script.py": "import os\nfrom stan.a import run\n",
        },
    )
    found = {
        Path(p).relative_to(tmp_path).as_posix()
        for p in import_closure(tmp_path / "script.py", tmp_path)
    }
    assert found == {
        "stan/__init__.py",
        "stan/a/__init__.py",
        "stan/a/b.py",
        "stan/a/c.py",
        "stan/d.py",
        "stan/e/__init__.py",
        "stan/e/f.py",
    }


def test_workflow_scripts_track_what_they_import():
    def closure(script: str) -> set[str]:
        files = import_closure(REPO / "workflow" / "scripts" / script, REPO)
        return {Path(p).relative_to(REPO).as_posix() for p in files}

    # The motion prior imports the camera model of the baseline (the hand lists missed it).
    assert "stan/baseline/flow_magnitude.py" in closure("prior_maps.py")
    features = closure("feature_cache.py")
    assert {"stan/inputs/features.py", "stan/model/vgg.py", "stan/model/weights.py"} <= features
    # The cached trunk features do not depend on the heads: editing them reruns no cache.
    heads = {"stan/model/stan.py", "stan/model/config.py", "stan/model/branches.py"}
    assert not heads & features
    assert heads <= closure("train_model.py")
    assert "stan/evaluate/table.py" in closure("table.py")
    flow = closure("flow.py")
    assert "stan/flow/cache.py" in flow and not any(p.startswith("stan/model/") for p in flow)
