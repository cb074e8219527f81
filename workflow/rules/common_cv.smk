# Helper functions of cross-validation: fold datasets, seed-suffixed variants, seed ensembles.
# A variant name with a seed suffix (STAN-s1, OS-s2+crf) is the same variant trained with
# train.seed + k: its own model, maps and scores, so seeds never overwrite each other. A seed
# ensemble (STAN-ens3, STAN-ens3+crf, STAN+crf-ens3) is the mean of its members' maps.
from stan.evaluate.cv import ensemble_members, split_seed


def variant_base(variant):
    """The STAN variant of a (possibly seed-suffixed) variant name: STAN-s2 -> STAN."""
    return split_seed(variant)[0]


def method_members(method):
    """The methods a seed ensemble averages (stan.evaluate.cv.ensemble_members); [method]
    itself for any other method."""
    return ensemble_members(method) or [method]


def ensemble_member_maps(wildcards):
    """Map folders of one video that rule ensemble averages."""
    members = ensemble_members(f"{wildcards.method}-ens{wildcards.size}")
    return [
        f"{saliency_root(wildcards.dataset, member)}/{wildcards.video}"
        for member in members
    ]


def variant_seed_offset(variant):
    return split_seed(variant)[1]


def train_settings(wildcards):
    """The `train` config section of one job, with the seed of a seed-suffixed variant
    (train.datasets is the workflow's: it names the training set, not a TrainConfig key).
    """
    offset = variant_seed_offset(wildcards.variant)
    settings = {k: v for k, v in config["train"].items() if k != "datasets"}
    return {**settings, "seed": config["train"]["seed"] + offset}


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
        if settings.get("adapter") == "fold"
        and settings.get("of") == base
        and OOF_MARK not in name
    ]
    if not folds:
        raise ValueError(
            f"no cross-validation folds of dataset {base!r}: add sections "
            f"data.<name>: {{adapter: fold, of: {base}, folds: K, fold: k}}"
        )
    return sorted(folds)


def cv_tables(wildcards):
    return [f"results/tables/{fold}.csv" for fold in fold_datasets(wildcards.base)]


def cv_scores(wildcards):
    """Per-video score files of every method in every fold (fold-major, methods in order)."""
    return [
        f"results/scores/{fold}/{method}.csv"
        for fold in fold_datasets(wildcards.base)
        for method in config["evaluate"]["methods"]
    ]


def cv_fold_names(wildcards):
    return fold_datasets(wildcards.base)


# --- out-of-fold motion priors (prior.out_of_fold) ---

# Sub-fold datasets <dataset>-oof<j> (adapter fold) train the out-of-fold prior models.
OOF_MARK = "-oof"


def add_out_of_fold_sections():
    """Add the sub-fold sections <name>-oof<j> of every dataset when prior.out_of_fold is set."""
    folds = config["prior"].get("out_of_fold", 0)
    if not folds:
        return
    for name in [n for n in config["data"] if OOF_MARK not in n]:
        for fold in range(folds):
            config["data"].setdefault(
                f"{name}{OOF_MARK}{fold}",
                {"adapter": "fold", "of": name, "folds": folds, "fold": fold},
            )


add_out_of_fold_sections()


def video_prior_checkpoint(wildcards):
    """The prior model that writes one video's maps: with prior.out_of_fold = K, a training
    video's comes from the model of the sub-fold dataset that holds it out; otherwise the
    dataset's prior model (prior_checkpoint: its own, or its model_from source's)."""
    from stan.data.folds import fold_videos

    folds = config["prior"].get("out_of_fold", 0)
    dataset = wildcards.dataset
    if folds and OOF_MARK not in dataset and not model_from(dataset):
        train = dataset_videos(dataset, "train")
        for fold in range(folds):
            if wildcards.video in fold_videos(train, folds, fold):
                return f"results/models/prior/{dataset}{OOF_MARK}{fold}.pt"
    return prior_checkpoint(dataset)
