"""Configuration of the motion prior: one dataclass, built from the ``prior`` config section."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from stan.io import InputError
from stan.sections import section_values

FEATURE_MODES = ("pooled", "patch")
ALEXNET_INPUTS = ("flow", "residual")
REFINES = ("none", "motion")


@dataclass(frozen=True)
class PriorConfig:
    """The ``prior`` config section. Model keys (``MODEL_KEYS``) are restored from a checkpoint;
    ``refine``, ``device`` and ``batch_size`` are runtime keys; the rest only affect training.
    See ``stan.prior.handcrafted`` for the statistics ``handcrafted`` adds."""

    # --- superpixels and features (stored in the checkpoint: they define the model) ---
    feature_mode: str = "pooled"  # "pooled" (AlexNet once per frame) or "patch" (per box, ref. 48)
    work_scale: float = 0.5  # flow is resized by this factor before SLIC and features
    n_segments: int = 300  # SLIC superpixels per frame (approximate)
    compactness: float = 10.0  # SLIC compactness (Lab colour units of the flow image)
    alexnet_input: str = "residual"  # AlexNet sees "flow" (ref. 48) or "residual" (minus camera)
    pooled_scale: float = 0.5  # "pooled" runs AlexNet on the working image resized by this factor
    patch_size: int = 64  # side of the resized bounding-box crop in "patch" mode
    handcrafted: bool = True  # append cheap motion/position statistics to the deep features
    hidden: tuple[int, int] = (256, 64)  # widths of the scorer's two hidden layers
    dropout: float = 0.2  # dropout after each hidden layer of the scorer
    refine: str = "motion"  # "none": superpixel score (ref. 48); "motion": times pixel motion map
    alexnet_weights: str = ""  # path of torchvision's alexnet-owt-7be5be79.pth; "" trains here
    # --- training ---
    finetune_alexnet: bool = True  # train the AlexNet convolutions (always true without weights)
    label_threshold: float = 0.5  # salient fraction from which a superpixel counts as positive
    frame_step: int = 2  # use every n-th training frame with ground truth (halves the cost)
    val_fraction: float = 0.2  # fraction of training videos held out for early stopping
    epochs: int = 20  # maximum number of passes over the training frames
    patience: int = 4  # stop after this many epochs without a better validation loss
    min_epochs: int = 5  # epochs trained before a checkpoint can be selected or training stop
    batch_frames: int = 8  # frames per optimiser step
    patches_per_frame: int = 64  # superpixels sampled per frame when training "patch" mode
    lr: float = 1e-3  # Adam learning rate
    weight_decay: float = 1e-4  # Adam weight decay
    seed: int = 0  # seed of the validation split, initialisation and sampling
    # --- runtime (not part of the model) ---
    device: str = "auto"  # "auto" (CUDA when present), "cpu" or "cuda"
    batch_size: int = 256  # patches per AlexNet forward in "patch" mode
    # --- workflow: which model writes which video's maps (read by the DAG only) ---
    out_of_fold: int = 0  # K >= 2: a training video's prior comes from a model trained on the
    # other sub-folds of the training videos (K sub-folds, round robin); 0: the model of all

    def __post_init__(self):
        if self.feature_mode not in FEATURE_MODES:
            raise InputError(
                f"prior.feature_mode is {self.feature_mode!r}; use one of {list(FEATURE_MODES)}"
            )
        if self.alexnet_input not in ALEXNET_INPUTS:
            raise InputError(
                f"prior.alexnet_input is {self.alexnet_input!r}; use one of {list(ALEXNET_INPUTS)}"
            )
        if self.refine not in REFINES:
            raise InputError(f"prior.refine is {self.refine!r}; use one of {list(REFINES)}")
        if not 0 < self.work_scale <= 1:
            raise InputError(f"prior.work_scale is {self.work_scale}; use a value in (0, 1]")
        if not 0 < self.pooled_scale <= 1:
            raise InputError(f"prior.pooled_scale is {self.pooled_scale}; use a value in (0, 1]")
        if self.patch_size < 63:
            raise InputError(
                f"prior.patch_size is {self.patch_size}; AlexNet needs at least 63 pixels"
            )
        if self.out_of_fold == 1 or self.out_of_fold < 0:
            raise InputError(
                f"prior.out_of_fold is {self.out_of_fold}; use 0 (off) or a number of folds >= 2"
            )
        if not 0 <= self.val_fraction < 1:
            raise InputError(f"prior.val_fraction is {self.val_fraction}; use a value in [0, 1)")
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))

    @classmethod
    def from_params(cls, params: dict | None) -> PriorConfig:
        """Build from the ``prior`` config section; unknown keys are an error naming them."""
        return cls(**section_values(cls, params, "prior"))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d


# Keys that define the trained model; a checkpoint restores these, the rest come from the caller.
MODEL_KEYS = (
    "feature_mode",
    "work_scale",
    "n_segments",
    "compactness",
    "alexnet_input",
    "pooled_scale",
    "patch_size",
    "handcrafted",
    "hidden",
    "dropout",
)
