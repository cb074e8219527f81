"""The contact sheet: layout, and erased pixels shown in red."""

import numpy as np

from stan.coarse.review import ERASED, Tile, contact_sheet, pick_evenly


def test_pick_evenly_spreads_and_keeps_ends():
    assert pick_evenly(list(range(10)), 4) == [0, 3, 6, 9]
    assert pick_evenly([1, 2], 5) == [1, 2]
    assert pick_evenly([1, 2], 0) == []


def test_sheet_layout_and_erased_pixels():
    h, w = 60, 80
    image = np.full((h, w, 3), 90, np.uint8)
    fused = np.tile(np.linspace(0, 1, w, dtype=np.float32), (h, 1))
    label = np.zeros((h, w), bool)
    label[20:50, 10:70] = True
    final = label.copy()
    final[:, :40] = False  # the erase file cleared the left half
    tiles = [Tile(f"{i:05d}", image, fused, label, final) for i in range(3)]
    sheet = contact_sheet(tiles, "video: 3 coarse labels\nfusion mbd 1.00", width=120, per_row=2)

    panel_h = 90  # 60 x 80 scaled to width 120
    assert sheet.dtype == np.uint8 and sheet.shape[2] == 3
    assert sheet.shape[1] == 2 * (3 * 120 + 4) + 8
    assert sheet.shape[0] == (22 * 2 + 6) + 2 * (panel_h + 8)
    top = 22 * 2 + 6
    label_panel = sheet[top : top + panel_h, 2 * 122 : 2 * 122 + 120]
    red = np.all(label_panel == ERASED, axis=2)
    white = np.all(label_panel == 255, axis=2)
    assert red[:, :60].sum() > 500 and not red[:, 60:].any()
    assert white[:, 60:].sum() > 500
