# Checks of the config that the schema cannot express, run when the workflow is parsed, before
# any job: a typo fails here with the list of valid names, not as a missing input later.


def known_methods():
    """Names evaluate.methods accepts (each may also end in CRF_SUFFIX): the flow-magnitude
    baseline, the motion prior, the STAN variants, and folders of one's own maps that exist as
    results/saliency/<dataset>/<name>/ for every dataset in `datasets`."""
    from stan.model.config import VARIANTS

    builtin = ["flow-magnitude", PRIOR_METHOD, *VARIANTS]
    folders = None
    for dataset in config["datasets"]:
        root = f"results/saliency/{dataset}"
        found = {
            name
            for name in (os.listdir(root) if os.path.isdir(root) else [])
            if os.path.isdir(f"{root}/{name}") and not name.endswith(CRF_SUFFIX)
        }
        folders = found if folders is None else folders & found
    return builtin + sorted((folders or set()) - set(builtin))


def is_known_method(method, known):
    """A known name, a STAN variant with a seed suffix, or a seed ensemble of a STAN variant
    (with or without the CRF suffix, inside or outside the ensemble)."""
    from stan.evaluate.cv import ensemble_members, split_seed
    from stan.model.config import VARIANTS

    core = method.removesuffix(CRF_SUFFIX)
    members = ensemble_members(core)
    if members:
        return split_seed(members[0].removesuffix(CRF_SUFFIX))[0] in VARIANTS
    return core in known or split_seed(core)[0] in VARIANTS


def check_methods():
    known = known_methods()
    unknown = [
        m for m in config["evaluate"]["methods"] if not is_known_method(m, known)
    ]
    if unknown:
        raise ValueError(
            f"config key evaluate.methods: unknown method(s) {unknown}; valid names: {known}, "
            f"each optionally with the suffix {CRF_SUFFIX!r} (dense CRF); a STAN variant may carry a "
            "seed suffix (STAN-s1: trained with train.seed + 1) or be a seed ensemble "
            "(STAN-ens3: the mean of the maps of STAN, STAN-s1 and STAN-s2; STAN+crf-ens3 the "
            "mean of their CRF maps). A folder of your own maps counts as a method once "
            "results/saliency/<dataset>/<name>/<video>/ exists for every dataset"
        )


check_methods()
