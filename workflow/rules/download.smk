# Downloads, for machines with internet: public dataset archives unpacked into the configured
# dataset roots, torchvision weight files to their configured paths. Each rule's output is the
# configured path, and the rule exists only while that path is absent, so nothing in place is
# ever claimed or overwritten. All are local rules: cluster nodes without internet never run
# them. Helper functions: workflow/rules/common_download.smk.


if archive_sources():

    rule download_archive:
        output:
            temp(f"{DOWNLOAD_DIR}/{{file}}"),
        log:
            "results/logs/download/{file}.log",
        wildcard_constraints:
            file="|".join(re.escape(name) for name in archive_sources()),
        localrule: True
        conda:
            "../../envs/stan.yaml"
        resources:
            runtime=600,
        params:
            url=archive_param(0),
            sha256=archive_param(1),
            config_key=archive_param(2),
        script:
            "../scripts/download_file.py"


for _dataset in missing_dataset_roots():

    rule:
        name:
            f"download_{_dataset}"
        input:
            archives=dataset_archive_files(_dataset),
        output:
            directory(dataset_root(_dataset)),
        log:
            f"results/logs/download/{_dataset}.log",
        localrule: True
        conda:
            "../../envs/stan.yaml"
        resources:
            runtime=120,
        params:
            adapter=dataset_adapter(_dataset),
            exclude=download_section(dataset_adapter(_dataset)).get("exclude", []),
            urls=[a["url"] for a in dataset_archives(_dataset)],
        script:
            "../scripts/unpack_dataset.py"


if pretrain_archives():

    rule download_duts:
        input:
            archives=[
                f"{DOWNLOAD_DIR}/{file_name(a['url'])}" for a in pretrain_archives()
            ],
        output:
            directory(config["pretrain"]["root"]),
        log:
            "results/logs/download/duts.log",
        localrule: True
        conda:
            "../../envs/stan.yaml"
        resources:
            runtime=120,
        params:
            adapter="duts",
            exclude=download_section("duts").get("exclude", []),
            urls=[a["url"] for a in pretrain_archives()],
        script:
            "../scripts/unpack_dataset.py"


for _name, (_path, _url, _sha256) in weight_downloads().items():

    rule:
        name:
            f"download_{_name}"
        output:
            _path,
        log:
            f"results/logs/download/{_name}.log",
        localrule: True
        conda:
            "../../envs/stan.yaml"
        resources:
            runtime=120,
        params:
            url=_url,
            sha256=_sha256,
            config_key=f"download.{_name}",
        script:
            "../scripts/download_file.py"


# The FlowNet2 checkpoints sit behind Google Drive links: no download, but a missing file stops
# the run at once with its origin and config key (instead of failing in every flow job).
if missing_flownet2_checkpoint():

    rule flownet2_checkpoint:
        output:
            missing_flownet2_checkpoint(),
        log:
            "results/logs/download/flownet2_checkpoint.log",
        localrule: True
        conda:
            "../../envs/stan.yaml"
        params:
            method=config["flow"]["method"],
        script:
            "../scripts/flownet2_missing.py"
