"""Coarse pixel-wise labels for training frames without ground truth (paper section 3.3).

Several image-saliency maps are fused by a weighted linear combination, binarised with Otsu's
threshold, and cleaned by hand through per-video erase files.

Modules:

- ``mbd``, ``rbd``, ``frequency_tuned``, ``spectral_residual``: training-free saliency methods
  (one per file, each citing its paper), standing in for the paper's DCL, RFCN and DSMT, whose
  weights are not available offline.
- ``folder``: precomputed maps from any other model (DCL/RFCN/DSMT outputs, or a model trained
  by this pipeline, e.g. ``results/saliency/<dataset>/OS``).
- ``sources``: the ``coarse.sources`` config list -> source callables.
- ``fusion``: weighted combination, weight fitting (non-negative least squares), Otsu.
- ``erase``: the erase-file format and its application (the manual revision step).
- ``review``: contact sheets for the reviewer.
- ``config`` and ``stage``: the ``coarse`` config section and the stage functions the
  Snakemake rules call.
"""
