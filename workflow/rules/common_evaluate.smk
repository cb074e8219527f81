# Helper functions of the evaluate stage (rule files hold rules only).


def threshold_videos(dataset):
    """evaluate.threshold_videos training videos, evenly spaced in name order: their maps choose
    the trained J/F threshold of each method."""
    train = dataset_videos(dataset, "train")
    n = min(config["evaluate"]["threshold_videos"], len(train))
    if n == 0:
        return []
    return [train[round(i * (len(train) - 1) / max(n - 1, 1))] for i in range(n)]


def method_threshold_maps(wildcards):
    root = saliency_root(wildcards.dataset, wildcards.method)
    return [f"{root}/{video}" for video in threshold_videos(wildcards.dataset)]


def threshold_masks(wildcards):
    videos = threshold_videos(wildcards.dataset)
    return dataset_files(wildcards.dataset, videos, images=False)


def method_threshold_videos(wildcards):
    return threshold_videos(wildcards.dataset)


def score_inputs(wildcards):
    """Inputs of a method's test scoring: its maps and, when trained thresholds are on, the
    curves of its maps on the threshold videos."""
    inputs = {
        "manifest": f"results/manifests/{wildcards.dataset}.csv",
        "masks": test_masks(wildcards),
        "maps": method_maps(wildcards),
        "code": script_code("score_method.py"),
    }
    if threshold_videos(wildcards.dataset):
        inputs["threshold"] = (
            f"results/scores/{wildcards.dataset}/train/{wildcards.method}_curves.npz"
        )
    return inputs


def predict_settings(wildcards):
    """The `predict` section of one per-video job: the job names its video, so the split filter
    (predict.split, for the stan command) is `all`: training videos are predicted too when their
    maps choose the trained threshold."""
    return {**config["predict"], "split": "all"}
