"""Config sections: the one check every stage's config dataclass runs on its ``config.yaml`` part."""

from __future__ import annotations

import dataclasses
from typing import Any

from stan.io import InputError


def section_values(cls: type, values: dict[str, Any] | None, section: str) -> dict[str, Any]:
    """A copy of the ``section`` mapping for dataclass ``cls``; unknown keys are an error naming
    them, the section and the valid keys (a typo in config.yaml must not be silently ignored)."""
    values = dict(values or {})
    names = {field.name for field in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise InputError(
            f"config section {section}: unknown keys {unknown}; valid keys: {sorted(names)}"
        )
    return values
