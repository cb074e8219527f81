# Coarse stage: coarse pixel-wise labels for the training frames that lack ground truth (paper
# section 3.3): image-saliency maps fused by a weighted linear combination, Otsu's threshold,
# then manual erase files. One weight-fitting job per dataset, one labelling job per training
# video, and a gather step writing the label-source table that training reads.
#
# Layout under results/coarse/<dataset>/:
#   <video>/<frame>.png   coarse labels (0/255), named like the ground truth
#   fusion_weights.json   fitted or given fusion weights
#   review/<video>.png    contact sheet (frame, fused map, label) for the manual revision
#   tables/<video>.csv    the video's part of the label-source table
#   label_sources.csv     video, frame, label_path, source (gt | coarse)
# `review`, `tables`, `label_sources.csv` and `fusion_weights.json` cannot be video names.


rule coarse_fusion_weights:
    input:
        manifest="results/manifests/{dataset}.csv",
        frames=train_images_and_masks,
        maps=coarse_fit_maps,
        code=script_code("coarse_weights.py"),
    output:
        "results/coarse/{dataset}/fusion_weights.json",
    log:
        "results/logs/coarse/{dataset}/fusion_weights.log",
    benchmark:
        "results/benchmarks/coarse/{dataset}/fusion_weights.tsv"
    wildcard_constraints:
        dataset="[^/]+",
    conda:
        "../../envs/stan.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        coarse=coarse_settings,
    script:
        "../scripts/coarse_weights.py"


rule coarse_labels:
    input:
        manifest="results/manifests/{dataset}.csv",
        frames=video_images_and_masks,
        weights="results/coarse/{dataset}/fusion_weights.json",
        erase=coarse_erase_file,
        maps=coarse_video_maps,
        code=script_code("coarse_labels.py"),
    output:
        labels=directory("results/coarse/{dataset}/{video}"),
        table="results/coarse/{dataset}/tables/{video}.csv",
        sheet="results/coarse/{dataset}/review/{video}.png",
    log:
        "results/logs/coarse/{dataset}/{video}.log",
    benchmark:
        "results/benchmarks/coarse/{dataset}/{video}.tsv"
    wildcard_constraints:
        dataset="[^/]+",
        video=COARSE_VIDEO,
    conda:
        "../../envs/stan.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        coarse=coarse_settings,
    script:
        "../scripts/coarse_labels.py"


rule coarse_gather:
    input:
        tables=coarse_video_tables,
        code=script_code("coarse_gather.py"),
    output:
        "results/coarse/{dataset}/label_sources.csv",
    log:
        "results/logs/coarse/{dataset}/label_sources.log",
    wildcard_constraints:
        dataset="[^/]+",
    conda:
        "../../envs/stan.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/coarse_gather.py"


rule coarse:
    input:
        all_label_tables,
