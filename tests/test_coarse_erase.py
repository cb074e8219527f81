"""The erase-file format: parsing, application, and errors that name the file and line."""

from pathlib import Path

import numpy as np
import pytest

from stan.coarse.erase import load_erase_file
from stan.io import InputError

EXAMPLE = Path(__file__).resolve().parents[1] / "workflow" / "erase" / "example.yaml"


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "video.yaml"
    path.write_text(text)
    return path


def test_example_file_parses():
    erase = load_erase_file(EXAMPLE, video="bear")
    assert [r.kind for r in erase.regions] == ["box", "polygon", "box"]
    assert [r.action for r in erase.regions] == ["erase", "erase", "keep"]
    assert erase.regions[0].frames.matches("00010") and not erase.regions[0].frames.matches("00026")
    assert erase.regions[1].frames.matches("00031") and not erase.regions[1].frames.matches("00004")


def test_box_polygon_keep_applied_per_frame(tmp_path):
    path = write(
        tmp_path,
        """
video: cows
regions:
  - frames: 00012          # zero-padded ids are not octal numbers
    box: [2, 1, 4, 3]
  - frames: [0, 5-6]
    polygon: [[0, 0], [9, 0], [0, 9]]
  - frames: all
    box: [0, 0, 9, 8]
    action: keep
""",
    )
    erase = load_erase_file(path, video="cows")
    label = np.ones((10, 10), bool)

    out = erase.apply(label, "00012")
    expected = np.ones((10, 10), bool)
    expected[1:4, 2:5] = False  # the box, both corners included
    expected[9] = False  # outside the keep box (rows 0..8)
    np.testing.assert_array_equal(out, expected)
    assert label.all()  # the input is not modified

    out = erase.apply(label, "00006")
    rows, cols = np.indices(label.shape)
    assert not out[(rows + cols) <= 8].any()  # inside the triangle
    assert out[(rows + cols >= 10) & (rows <= 8)].all()
    assert not out[9].any()

    out = erase.apply(label, "00013")  # only the keep region applies
    assert out[:9].all() and not out[9].any()


def test_unmatched_regions_are_reported(tmp_path):
    path = write(tmp_path, "regions:\n  - frames: 50-60\n    box: [0, 0, 1, 1]\n")
    erase = load_erase_file(path)
    assert [r.line for r in erase.unmatched(["00001", "00002"])] == [2]
    assert erase.unmatched(["00055"]) == []


def test_empty_file_and_empty_regions(tmp_path):
    assert load_erase_file(write(tmp_path, "# nothing to erase yet\n")).regions == ()
    assert load_erase_file(write(tmp_path, "video: x\nregions:\n")).regions == ()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("regions:\n  - frames: 1\n    box: [0, 0, 5]\n", 3, "box must be"),
        ("regions:\n  - frames: 1\n    box: [5, 0, 1, 4]\n", 3, "x0 <= x1"),
        ("regions:\n  - frames: 1\n    polygon: [[0, 0], [1, 1]]\n", 3, "at least 3"),
        ("regions:\n  - frames: 1\n    polygon: [[0, 0], [1, a], [2, 2]]\n", 3, "number"),
        (
            "regions:\n  - frames: 1\n\n    box: [0, 0, 1, 1]\n    colour: red\n",
            5,
            "unknown key 'colour'",
        ),
        ("regions:\n  - box: [0, 0, 1, 1]\n", 2, "lacks 'frames'"),
        (
            "regions:\n  - frames: 1\n    box: [0, 0, 1, 1]\n    polygon: [[0, 0], [1, 0], [0, 1]]\n",
            2,
            "exactly one",
        ),
        ("regions:\n  - frames: 9-3\n    box: [0, 0, 1, 1]\n", 2, "backwards"),
        ("regions:\n  - frames: [1, all]\n    box: [0, 0, 1, 1]\n", 2, "'all' cannot"),
        (
            "regions:\n  - frames: 1\n    box: [0, 0, 1, 1]\n    action: remove\n",
            4,
            "action must be",
        ),
        ("regions:\n  frames: 1\n", 2, "regions must be a list"),
        ("videos: a\n", 1, "unknown key 'videos'"),
        ("regions:\n  - frames: 1\n    box: [0, 0, 1, 1\n  - frames: 2\n", 4, "not valid YAML"),
        ("- 1\n- 2\n", 1, "must be a mapping"),
    ],
)
def test_bad_files_name_file_and_line(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        load_erase_file(path)
    assert str(err.value).startswith(f"{path}:{line}: ")
    assert message in str(err.value)
    assert "example.yaml" in str(err.value)  # points at the documented format


def test_video_mismatch(tmp_path):
    path = write(tmp_path, "# header\nvideo: bear\nregions: []\n")
    with pytest.raises(
        InputError, match=r":2: the file says video 'bear' but is used for video 'cows'"
    ):
        load_erase_file(path, video="cows")


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="erase file not found"):
        load_erase_file(tmp_path / "nope.yaml")
