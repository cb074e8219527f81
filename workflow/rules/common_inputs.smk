# Inputs that make reruns exact: the stan/ files a rule's script imports, and the dataset
# files (frames, masks) a rule reads, with the records of their checks.


def script_code(script):
    """The stan/ files that workflow/scripts/<script> imports, directly or not: listed as a
    rule's inputs, so editing a module reruns exactly the rules that use it (stan/codedeps.py
    reads the imports with `ast`; nothing is listed by hand)."""
    from stan.codedeps import import_closure

    path = f"{workflow.basedir}/workflow/scripts/{script}"
    return import_closure(path, workflow.basedir)


# --- dataset files as inputs ---
# Rules list the frames and masks they read (paths from the manifest) as inputs, so Snakemake's
# own tracking applies to them: a file newer than a job's outputs reruns the job unless its
# content equals what the job last saw (Snakemake keeps checksums of inputs up to 1 MB, as
# frames and masks are). Changing one frame reruns that video's jobs that read frames, and the
# dataset-level jobs whose inputs include it, and nothing else; a mask, those that read masks.
# Each list starts with the videos' check records (results/checks/: rules check_frames and
# check_masks), so every file is decoded and checked before a job reads it. The manifest reruns
# when files are added, removed or renamed (stan.data.stage.source_files).


def dataset_files(dataset, videos, images=True, masks=True, checked=True):
    """Check records, frame and/or mask paths of the given videos, from the manifest."""
    df = manifest_table(dataset)
    df = df[df["video"].isin(set(videos))]
    files = []
    for kind, wanted in (("frames", images), ("masks", masks)):
        if wanted and checked:
            files += [
                f"results/checks/{dataset}/{v}.{kind}.csv" for v in sorted(videos)
            ]
    files += list(df["image"]) if images else []
    return files + ([gt for gt in df["gt"] if gt] if masks else [])


def video_image_files(wildcards):
    """The frames of one video (inputs of its check_frames job)."""
    return dataset_files(
        wildcards.dataset, [wildcards.video], masks=False, checked=False
    )


def video_mask_files(wildcards):
    """The masks of one video (inputs of its check_masks job)."""
    return dataset_files(
        wildcards.dataset, [wildcards.video], images=False, checked=False
    )


def video_images(wildcards):
    return dataset_files(wildcards.dataset, [wildcards.video], masks=False)


def video_images_and_masks(wildcards):
    return dataset_files(wildcards.dataset, [wildcards.video])


def train_images_and_masks(wildcards):
    videos = dataset_videos(wildcards.dataset, "train")
    return dataset_files(wildcards.dataset, videos)


def test_masks(wildcards):
    videos = dataset_videos(wildcards.dataset, "test")
    return dataset_files(wildcards.dataset, videos, images=False)


def all_checks(wildcards):
    return [
        f"results/checks/{dataset}/{video}.{kind}.csv"
        for dataset in config["datasets"]
        for video in dataset_videos(dataset)
        for kind in ("frames", "masks")
    ]
