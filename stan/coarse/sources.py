"""The pluggable list of saliency sources, configured by name in ``coarse.sources``.

Each entry of ``coarse.sources`` is a method name or a mapping::

    sources:
      - mbd                                   # minimum barrier distance (MB+), stan.coarse.mbd
      - rbd                                   # robust background detection, stan.coarse.rbd
      - {method: ft}                          # frequency-tuned, stan.coarse.frequency_tuned
      - {method: sr, options: {size: 64}}     # spectral residual, stan.coarse.spectral_residual
      - {method: folder, name: DCL, path: /maps/DCL/{dataset}}   # precomputed maps
      - {method: folder, name: OS, path: results/saliency/{dataset}/OS}  # a model of ours

``name`` (default: the method) identifies the source in fusion weights and tables and must be
unique. ``options`` are keyword arguments of the method's function (e.g. ``max_side``). A source
is a callable ``(image RGB uint8, video, frame) -> float32 (H, W) saliency``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from stan.coarse.folder import FolderSource
from stan.coarse.frequency_tuned import ft_saliency
from stan.coarse.mbd import mbd_saliency
from stan.coarse.rbd import rbd_saliency
from stan.coarse.spectral_residual import sr_saliency
from stan.io import InputError

#: training-free image-saliency methods computed from the frame alone
METHODS: dict[str, Callable[..., np.ndarray]] = {
    "mbd": mbd_saliency,
    "rbd": rbd_saliency,
    "ft": ft_saliency,
    "sr": sr_saliency,
}
ALL_METHODS = sorted([*METHODS, "folder"])


@dataclass(frozen=True)
class SourceSpec:
    """One entry of ``coarse.sources`` after validation."""

    method: str
    name: str
    path: str = ""  # folder sources only; may contain {dataset}
    options: dict = field(default_factory=dict)


class MethodSource:
    """A training-free method applied to the frame; video and frame ids are not used."""

    def __init__(self, name: str, function: Callable[..., np.ndarray], options: dict):
        self.name = name
        self.function = function
        self.options = dict(options)

    def __call__(self, image: np.ndarray, video: str, frame: str) -> np.ndarray:
        return self.function(image, **self.options)

    def __repr__(self) -> str:
        return f"MethodSource({self.name!r}, {self.function.__name__}, {self.options})"


def parse_sources(entries) -> list[SourceSpec]:
    """Validate the ``coarse.sources`` list; errors name the config key and the fix."""
    if not isinstance(entries, list | tuple) or not entries:
        raise InputError(
            "config key coarse.sources must be a non-empty list of saliency sources, "
            f"e.g. [mbd, rbd, ft]; methods: {ALL_METHODS}"
        )
    specs = []
    for i, entry in enumerate(entries):
        key = f"coarse.sources[{i}]"
        if isinstance(entry, str):
            entry = {"method": entry}
        if not isinstance(entry, dict):
            raise InputError(f"config key {key} must be a method name or a mapping, got {entry!r}")
        unknown = sorted(set(entry) - {"method", "name", "path", "options"})
        if unknown:
            raise InputError(
                f"config key {key} has unknown keys {unknown}; allowed: method, name, path, options"
            )
        method = entry.get("method")
        if method not in ALL_METHODS:
            raise InputError(f"config key {key}.method is {method!r}; use one of {ALL_METHODS}")
        name = str(entry.get("name") or method)
        path = str(entry.get("path") or "")
        options = dict(entry.get("options") or {})
        if method == "folder":
            if not path:
                raise InputError(
                    f"config key {key}.path is required for a folder source: the folder of <video>/<frame>.png maps"
                )
            if options:
                raise InputError(f"config key {key}.options: a folder source takes no options")
        else:
            if path:
                raise InputError(f"config key {key}.path is only for folder sources; remove it")
            allowed = [p for p in inspect.signature(METHODS[method]).parameters if p != "image"]
            bad = sorted(set(options) - set(allowed))
            if bad:
                raise InputError(
                    f"config key {key}.options has unknown options {bad} for {method}; allowed: {allowed}"
                )
        specs.append(SourceSpec(method=method, name=name, path=path, options=options))
    names = [s.name for s in specs]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(
            f"config key coarse.sources: names {duplicated} are used twice; give each source a unique name"
        )
    return specs


def build_source(spec: SourceSpec, dataset: str, index: int = 0):
    """Instantiate one source; ``{dataset}`` in a folder path becomes ``dataset``."""
    if spec.method == "folder":
        return FolderSource(
            spec.name, spec.path.replace("{dataset}", dataset), f"coarse.sources[{index}].path"
        )
    return MethodSource(spec.name, METHODS[spec.method], spec.options)


def build_sources(entries, dataset: str) -> list:
    """Parse ``coarse.sources`` and instantiate every source, in order."""
    return [build_source(spec, dataset, i) for i, spec in enumerate(parse_sources(entries))]
