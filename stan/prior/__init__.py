"""The motion prior (STAN section 3, after its ref. 48): superpixels of the optical-flow image,
AlexNet features per superpixel and a three-layer fully connected scorer; one 8-bit map per frame.

- ``config``: :class:`PriorConfig`, the ``prior`` config section.
- ``superpixels``: SLIC on the flow colour image at a reduced size, mapped back to the frame.
- ``alexnet``: torchvision-compatible AlexNet; ``features``: ``patch`` and ``pooled`` features.
- ``handcrafted``: cheap per-superpixel motion and position statistics.
- ``frame``: one frame's flow -> everything the network consumes.
- ``scorer`` / ``model``: the fully connected scorer, the network, checkpoints, the prior map.
- ``labels`` / ``train``: superpixel targets from ground truth; ``train_motion_prior``.
- ``stage``: ``write_motion_priors`` (one video's maps).
"""
