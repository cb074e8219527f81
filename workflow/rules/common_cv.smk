# Helper functions of cross-validation: fold datasets and seed-suffixed variants.
# A variant name with a seed suffix (STAN-s1, OS-s2+crf) is the same variant trained with
# train.seed + k: its own model, maps and scores, so seeds never overwrite each other.
from stan.evaluate.cv import split_seed


def variant_base(variant):
    """The STAN variant of a (possibly seed-suffixed) variant name: STAN-s2 -> STAN."""
    return split_seed(variant)[0]


def variant_seed_offset(variant):
    return split_seed(variant)[1]


def train_settings(wildcards):
    """The `train` config section of one job, with the seed of a seed-suffixed variant."""
    offset = variant_seed_offset(wildcards.variant)
    return {**config["train"], "seed": config["train"]["seed"] + offset}


def cache_dataset(dataset):
    """The dataset whose per-video caches (flow, feature cache, flow-magnitude maps) a dataset
    uses: a cross-validation fold (adapter fold) shares its base dataset's (key `of`).
    """
    settings = dataset_settings(dataset)
    if settings.get("adapter") != "fold":
        return dataset
    base = settings.get("of")
    if base is None or base == dataset:
        raise ValueError(
            f"data.{dataset} uses adapter fold: set `of` to another dataset section"
        )
    return cache_dataset(base)


def fold_datasets(base):
    """Sections under `data` that are folds of dataset `base` (adapter fold, of: base)."""
    folds = [
        name
        for name, settings in config["data"].items()
        if settings.get("adapter") == "fold" and settings.get("of") == base
    ]
    if not folds:
        raise ValueError(
            f"no cross-validation folds of dataset {base!r}: add sections "
            f"data.<name>: {{adapter: fold, of: {base}, folds: K, fold: k}}"
        )
    return sorted(folds)


def cv_tables(wildcards):
    return [f"results/tables/{fold}.csv" for fold in fold_datasets(wildcards.base)]


def cv_fold_names(wildcards):
    return fold_datasets(wildcards.base)
