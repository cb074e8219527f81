# Helper functions of the download rules (workflow/rules/download.smk).
import re

from stan.fetch import LAYOUTS, MARKER, file_name

# Archives are fetched here (and deleted once unpacked); weight files go to their config path.
DOWNLOAD_DIR = "results/downloads"


def download_section(name):
    return config.get("download", {}).get(name, {})


def dataset_archives(dataset):
    """download.<adapter>.archives of a dataset section that has a root, else []."""
    adapter = dataset_adapter(dataset)
    if adapter not in LAYOUTS or not dataset_settings(dataset).get("root"):
        return []
    return [a for a in download_section(adapter).get("archives", []) if a.get("url")]


def downloadable_datasets():
    return [dataset for dataset in config["data"] if dataset_archives(dataset)]


def missing_dataset_roots():
    """Datasets whose root is absent and can be downloaded. Only they get a download rule, so no
    rule ever claims (and a forced rerun never deletes) a folder that is in place."""
    return [d for d in downloadable_datasets() if not os.path.exists(dataset_root(d))]


def dataset_root(dataset):
    return dataset_settings(dataset)["root"]


def archive_sources():
    """{archive file name: (url, sha256, config key)} of every archive a dataset may need."""
    sources = {}
    for dataset in missing_dataset_roots():
        adapter = dataset_adapter(dataset)
        for i, archive in enumerate(dataset_archives(dataset)):
            key = f"download.{adapter}.archives[{i}]"
            sources[file_name(archive["url"])] = (
                archive["url"],
                archive.get("sha256", ""),
                key,
            )
    for i, archive in enumerate(pretrain_archives()):
        key = f"download.duts.archives[{i}]"
        sources[file_name(archive["url"])] = (
            archive["url"],
            archive.get("sha256", ""),
            key,
        )
    return sources


def pretrain_archives():
    """download.duts.archives when pretrain.root is set and absent (rule download_duts then
    fetches it), else []."""
    root = config["pretrain"]["root"]
    if not root or os.path.exists(root):
        return []
    return [a for a in download_section("duts").get("archives", []) if a.get("url")]


def archive_param(index):
    """A params function returning field `index` of the wildcard archive's source."""

    def param(wildcards):
        return archive_sources()[wildcards.file][index]

    return param


def dataset_archive_files(dataset):
    return [f"{DOWNLOAD_DIR}/{file_name(a['url'])}" for a in dataset_archives(dataset)]


def dataset_root_input(dataset):
    """The root as an input of the dataset's manifest when the workflow downloads it: when it is
    absent, or came from an earlier download (its marker file). A root put in place by hand is
    no input, so the manifests of runs made before downloads existed stay up to date."""
    if not dataset_archives(dataset):
        return {}
    root = dataset_root(dataset)
    if os.path.exists(root) and not os.path.exists(os.path.join(root, MARKER)):
        return {}
    return {"root": ancient(root)}


def weight_downloads():
    """{name: (path, url, sha256)} of the torchvision files the configuration reads and the disk
    lacks (a file in place gets no rule, so a forced rerun cannot delete it)."""
    wanted = {}
    if config["model"]["backbone_init"] == "torchvision":
        wanted["vgg16"] = config["model"].get("backbone_weights") or ""
    wanted["alexnet"] = config["prior"].get("alexnet_weights") or ""
    return {
        name: (
            path,
            download_section(name)["url"],
            download_section(name).get("sha256", ""),
        )
        for name, path in wanted.items()
        if path and not os.path.exists(path) and download_section(name).get("url")
    }


def prior_weights_input(wildcards):
    """prior.alexnet_weights as an input of the prior's training (so rule download_alexnet
    fetches it when absent)."""
    path = config["prior"].get("alexnet_weights")
    return [path] if path else []


def flownet2_checkpoint():
    """flow.flownet2.checkpoint when flow.method is a FlowNet2 model, else ''."""
    if config["flow"]["method"].startswith("flownet2"):
        return config["flow"]["flownet2"]["checkpoint"]
    return ""


def missing_flownet2_checkpoint():
    """The configured FlowNet2 checkpoint when it is absent, else ''."""
    path = flownet2_checkpoint()
    return path if path and not os.path.exists(path) else ""


def flownet2_checkpoint_input(wildcards):
    return [flownet2_checkpoint()] if flownet2_checkpoint() else []
