"""The package's layers import downward only (checked statically, lazy imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

STAN = Path(__file__).resolve().parents[1] / "stan"

# Lower rank = lower layer. A module may import its own package and packages of a lower rank.
# train and predict share a rank: inference never imports training, nor training inference.
LAYERS = [
    ("io",),
    ("sections", "logs", "runtime", "fetch", "codedeps"),
    ("data", "metrics"),
    ("flow", "model"),
    ("baseline", "inputs"),
    ("prior", "coarse"),
    ("train", "predict"),
    ("crf", "evaluate"),
    ("report",),
    ("cli",),
]
RANKS = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def layer(path: Path) -> str:
    parts = path.relative_to(STAN).with_suffix("").parts
    return parts[0]


def stan_imports(path: Path) -> set[str]:
    """Top-level stan packages a module imports anywhere in its body."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "stan" and len(parts) > 1:
                found.add(parts[1])
    return found


def modules() -> list[Path]:
    return [p for p in sorted(STAN.rglob("*.py")) if p.name != "__init__.py" or p.parent != STAN]


def test_every_package_has_a_rank():
    assert {layer(p) for p in modules()} <= set(RANKS), "add new packages to RANKS"


def test_layers_import_downward_only():
    wrong = []
    for path in modules():
        own = layer(path)
        for other in stan_imports(path) - {own}:
            if RANKS[other] >= RANKS[own]:
                wrong.append(f"{path.relative_to(STAN)} imports stan.{other}")
    assert not wrong, wrong


def test_inference_never_imports_training():
    inference = [*sorted((STAN / "predict").rglob("*.py")), *sorted((STAN / "cli").rglob("*.py"))]
    assert len(inference) > 4
    wrong = [str(p.relative_to(STAN)) for p in inference if "train" in stan_imports(p)]
    assert not wrong, wrong
    # nor the training half of the prior stage
    for path in inference:
        text = path.read_text()
        assert "stan.prior.train" not in text, path


def test_model_config_and_builder_do_not_import_each_other_in_a_cycle():
    def imported(name: str) -> set[str]:
        tree = ast.parse((STAN / "model" / f"{name}.py").read_text())
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        return {m.removeprefix("stan.model.") for m in modules if m.startswith("stan.model.")}

    # config reads only leaf modules (the trunk's normalisation rule), none of which reads config
    assert imported("config") <= {"vgg"}, imported("config")
    assert not any("config" in imported(name) for name in imported("config"))
    assert not imported("vgg")
