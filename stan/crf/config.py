"""Parameters of the dense CRF that refines saliency maps at test time (paper section 4.2).

The paper says only "a dense CRF [5] as a post-processing method". Its reference list is not in
our copy of the text, but [5] is also the work whose stride-1, dilated VGG16 the paper follows
(section 3.1), i.e. DeepLab (Chen et al.), whose CRF is the fully connected CRF of Krähenbühl and
Koltun (NIPS 2011). The
defaults are the saliency CRF of DSS (Hou et al., CVPR 2017; their released ``dss_crf.py``), the
usual choice in salient-object-detection work of that period:

- appearance-free smoothness kernel: ``addPairwiseGaussian(sxy=3, compat=3)`` (also DeepLab's
  ``pos_xy_std=3, pos_w=3``);
- appearance (bilateral) kernel: ``addPairwiseBilateral(sxy=60, srgb=5, compat=5)`` (DeepLab
  cross-validates ``bi_xy_std`` 50-121, ``bi_rgb_std`` 3-5, ``bi_w`` 3-5 on PASCAL VOC), except
  the weight: 10, chosen on the DAVIS cross-validation folds' held-out STAN maps (+0.010 max F
  over DSS's 5; README, "Dense CRF");
- 5 mean-field iterations: DSS uses 1, DeepLab 10; 5 is pydensecrf's documented example;
- full resolution (``scale`` 1), as in both; ``scale`` 0.5 is a faster CPU setting.

The unary is ``-log p`` (background: ``-log(1 - p)``) with ``p`` the saliency map read as a
probability and clipped to ``[prob_clip, 1 - prob_clip]`` so that 0 and 255 stay finite, as in
pydensecrf's ``unary_from_softmax`` (clip 1e-5).

Two additions keep the CRF from destroying a map (measured with ``bench/crf_quality.py`` on
DAVIS-2016 training sequences; README, "Dense CRF"): ``p`` is the map min-max stretched per frame
(``normalize: frame``; read as map / 255, a map that peaks below 0.5 has no salient pixel and is
erased), and the output keeps 30% of that stretched map (``keep_input: 0.3``), so a frame where
the CRF's nearly binary marginal is wrong keeps the input's ranking.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from stan.io import InputError
from stan.sections import section_values

#: values of ``CRFConfig.normalize``
NORMALIZE_MODES = ("none", "frame", "video")


@dataclass(frozen=True)
class CRFConfig:
    iterations: int = 5  # mean-field iterations
    prob_clip: float = 1e-5  # p is clipped to [prob_clip, 1 - prob_clip] before -log p
    gaussian_sxy: float = 3.0  # spatial std (pixels) of the appearance-free smoothness kernel
    gaussian_compat: float = 3.0  # weight (Potts compatibility) of the smoothness kernel
    bilateral_sxy: float = 60.0  # spatial std (pixels) of the appearance kernel
    bilateral_srgb: float = 5.0  # colour std (0..255 RGB units) of the appearance kernel
    bilateral_compat: float = 10.0  # weight (Potts compatibility) of the appearance kernel
    scale: float = 1.0  # the CRF runs on frame and map resized by this factor (spatial stds,
    # given in full-size pixels, shrink with it) and its result is resized back; 0.5 is ~3.5x
    # faster at 854x480 with the same accuracy on DAVIS bear (bench/bench_crf.py)
    normalize: str = "frame"  # how the map becomes P(salient) for the unary: none (map / 255),
    # frame (min-max stretched per frame, as every saliency metric reads a map) or video
    # (divided by the video's peak, the ``peak_percentile`` of its maps' per-frame maxima)
    peak_percentile: float = 100.0  # normalize: video; 100 = the video's largest value
    keep_input: float = 0.3  # output = (1 - keep_input) * marginal + keep_input * input map;
    # > 0 keeps the input's ranking inside the CRF's flat regions

    def __post_init__(self):
        if not isinstance(self.iterations, int) or self.iterations < 1:
            raise InputError(f"crf.iterations is {self.iterations!r}; use an integer >= 1")
        if not 0 < self.prob_clip < 0.5:
            raise InputError(f"crf.prob_clip is {self.prob_clip!r}; use a value in (0, 0.5)")
        for name in ("gaussian_sxy", "bilateral_sxy", "bilateral_srgb"):
            if not getattr(self, name) > 0:
                raise InputError(f"crf.{name} is {getattr(self, name)!r}; use a value > 0")
        if self.normalize not in NORMALIZE_MODES:
            raise InputError(
                f"crf.normalize is {self.normalize!r}; use one of {', '.join(NORMALIZE_MODES)}"
            )
        if not 0 < self.peak_percentile <= 100:
            raise InputError(
                f"crf.peak_percentile is {self.peak_percentile!r}; use a value in (0, 100]"
            )
        if not 0 <= self.keep_input < 1:
            raise InputError(f"crf.keep_input is {self.keep_input!r}; use a value in [0, 1)")
        if not 0 < self.scale <= 1:
            raise InputError(f"crf.scale is {self.scale!r}; use a value in (0, 1] (1 = full size)")
        for name in ("gaussian_compat", "bilateral_compat"):
            if not getattr(self, name) >= 0:
                raise InputError(
                    f"crf.{name} is {getattr(self, name)!r}; use a value >= 0 (0 drops the kernel)"
                )

    @classmethod
    def from_dict(cls, values: dict | None) -> CRFConfig:
        """Build from the ``crf`` config section (flat keys as in this dataclass)."""
        return cls(**section_values(cls, values, "crf"))

    def to_dict(self) -> dict:
        return asdict(self)
