"""Robust background detection: boundary connectivity on SLIC superpixels, then optimisation.

Zhu, Liang, Wei and Sun, "Saliency Optimization from Robust Background Detection", CVPR 2014.
A background region touches the image border along a long stretch compared with its size; an
object, even one that touches the border, does so only briefly. The paper measures this with
the *boundary connectivity* of each superpixel and turns it into a background probability.

Steps (symbols as in the paper):

1. SLIC superpixels (``n_segments``, about 250 in the paper's setting at reduced resolution) of
   the frame shrunk to ``max_side``; mean CIELAB colour and mean normalised position of each.
2. A graph over superpixels: adjacent superpixels are joined by an edge weighted with the
   Euclidean colour distance ``d_app``; all border superpixels are also joined to one another, so
   the background split into pieces by the object still counts as one border-touching region.
   ``d_geo`` = shortest-path distances on this graph.
3. Spanning area ``Area(p) = sum_i exp(-d_geo(p, p_i)^2 / (2 sigma_clr^2))``, border length
   ``Len_bnd(p)`` = the same sum over border superpixels only, boundary connectivity
   ``BndCon(p) = Len_bnd(p) / sqrt(Area(p))`` and background probability
   ``w_bg(p) = 1 - exp(-BndCon(p)^2 / (2 sigma_bndcon^2))`` with ``sigma_clr = 10`` and
   ``sigma_bndcon = 1``.
4. Background-weighted contrast ``wCtr(p) = sum_i d_app(p, p_i) w_spa(p, p_i) w_bg(p_i)`` with
   ``w_spa = exp(-d_spa^2 / (2 sigma_spa^2))``, ``sigma_spa = 0.25``.
5. Saliency optimisation: minimise
   ``sum_i w_bg_i s_i^2 + sum_i w_fg_i (s_i - 1)^2 + sum_(i,j adjacent) w_ij (s_i - s_j)^2`` with
   ``w_fg`` = wCtr normalised to [0, 1] and ``w_ij = exp(-d_app^2 / (2 sigma_clr^2)) + mu``,
   ``mu = 0.1``. Setting the gradient to zero gives the linear system
   ``(diag(w_bg + w_fg) + Laplacian(W)) s = w_fg``, solved exactly.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path
from skimage.segmentation import slic

from stan.coarse.resample import grow, shrink, to_lab


def _adjacent_pairs(labels: np.ndarray) -> np.ndarray:
    """Unique unordered pairs (i < j) of 4-connected neighbouring superpixel labels."""
    pairs = [
        np.stack([labels[:, :-1].ravel(), labels[:, 1:].ravel()], axis=1),
        np.stack([labels[:-1].ravel(), labels[1:].ravel()], axis=1),
    ]
    pairs = np.concatenate(pairs)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(np.sort(pairs, axis=1), axis=0)


def rbd_saliency(
    image: np.ndarray,
    *,
    max_side: int = 320,
    n_segments: int = 250,
    compactness: float = 10.0,
    sigma_clr: float = 10.0,
    sigma_bndcon: float = 1.0,
    sigma_spa: float = 0.25,
    mu: float = 0.1,
) -> np.ndarray:
    """Optimised saliency of an RGB ``uint8`` frame: float32 (H, W) in [0, 1] at the frame's size."""
    small = shrink(image, max_side)
    lab = to_lab(small)
    labels = slic(small, n_segments=n_segments, compactness=compactness, start_label=0)
    _, labels = np.unique(labels, return_inverse=True)  # make labels 0..n-1 without gaps
    labels = labels.reshape(small.shape[:2])
    n = int(labels.max()) + 1
    h, w = labels.shape

    # step 1: mean colour and position of each superpixel
    counts = np.bincount(labels.ravel(), minlength=n).astype(np.float64)
    colour = (
        np.stack(
            [np.bincount(labels.ravel(), lab[..., c].ravel(), minlength=n) for c in range(3)],
            axis=1,
        )
        / counts[:, None]
    )
    yy, xx = np.mgrid[0:h, 0:w]
    pos = (
        np.stack(
            [
                np.bincount(labels.ravel(), (yy / h).ravel(), minlength=n),
                np.bincount(labels.ravel(), (xx / w).ravel(), minlength=n),
            ],
            axis=1,
        )
        / counts[:, None]
    )
    d_app = np.linalg.norm(colour[:, None] - colour[None], axis=2)

    # step 2: graph of adjacent superpixels plus a clique over the border ones; geodesic distance
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    adjacent = _adjacent_pairs(labels)
    bi, bj = np.triu_indices(len(border), k=1)
    edges = np.concatenate([adjacent, np.stack([border[bi], border[bj]], axis=1)])
    edges = np.unique(edges, axis=0)
    # a tiny floor keeps identical-colour edges in the sparse graph (explicit zeros are dropped)
    weights = d_app[edges[:, 0], edges[:, 1]] + 1e-6
    graph = coo_matrix((weights, (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
    d_geo = shortest_path(graph, method="D", directed=False)

    # step 3: boundary connectivity -> background probability
    similarity = np.exp(-(d_geo**2) / (2 * sigma_clr**2))
    area = similarity.sum(axis=1)
    length = similarity[:, border].sum(axis=1)
    bnd_con = length / np.sqrt(area)
    w_bg = 1.0 - np.exp(-(bnd_con**2) / (2 * sigma_bndcon**2))

    # step 4: background-weighted contrast
    d_spa = np.linalg.norm(pos[:, None] - pos[None], axis=2)
    w_spa = np.exp(-(d_spa**2) / (2 * sigma_spa**2))
    w_ctr = (d_app * w_spa * w_bg[None, :]).sum(axis=1)
    span = w_ctr.max() - w_ctr.min()
    w_fg = (w_ctr - w_ctr.min()) / span if span > 0 else np.zeros(n)

    # step 5: the quadratic energy's minimiser
    smooth = np.zeros((n, n))
    i, j = adjacent[:, 0], adjacent[:, 1]
    smooth[i, j] = smooth[j, i] = np.exp(-(d_app[i, j] ** 2) / (2 * sigma_clr**2)) + mu
    laplacian = np.diag(smooth.sum(axis=1)) - smooth
    system = np.diag(w_bg + w_fg) + laplacian
    s = solve(system + np.eye(n) * 1e-9, w_fg, assume_a="pos")  # symmetric positive definite
    saliency = np.clip(s, 0, 1)[labels].astype(np.float32)
    return grow(saliency, image.shape[:2])
