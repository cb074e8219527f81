"""Downloads against a loopback HTTP server: resume, checksums, unpacking into the adapters'
layouts, and the download rules of the workflow (no internet needed)."""

import hashlib
import http.server
import io
import subprocess
import sys
import tarfile
import threading
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from stan.data.davis import index_davis
from stan.data.segtrackv2 import index_segtrackv2
from stan.fetch import MARKER, ChecksumError, DownloadError, download, unpack_dataset
from stan.train.pretrain import index_images

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


class Server:
    """Serves ``files`` (name -> bytes) on 127.0.0.1, honouring ``Range: bytes=N-`` unless
    ``ranges`` is False; records the Range header of every request."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.ranges, self.seen = files, True, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.lstrip("/")
                if name not in server.files:
                    self.send_error(404)
                    return
                data, start = server.files[name], 0
                wanted = self.headers.get("Range")
                server.seen.append((name, wanted))
                if wanted and server.ranges:
                    start = int(wanted.removeprefix("bytes=").rstrip("-"))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                self.wfile.write(data[start:])

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server({})
    yield s
    s.close()


def weights_file(tag: bytes = b"weights") -> tuple[str, bytes]:
    """A .pth-like payload and a torchvision-style name carrying its sha256 prefix."""
    data = tag * 50_000
    return f"tiny-{hashlib.sha256(data).hexdigest()[:8]}.pth", data


def test_download_checks_the_hash_prefix_in_a_torchvision_name(server, tmp_path):
    name, data = weights_file()
    server.files[name] = data
    dest = download(f"{server.url}/{name}", tmp_path / "w" / name, config_key="download.vgg16")
    assert dest.read_bytes() == data
    assert not dest.with_name(name + ".part").exists()


def test_download_resumes_a_partial_file(server, tmp_path):
    name, data = weights_file()
    server.files[name] = data
    dest = tmp_path / name
    dest.with_name(name + ".part").write_bytes(data[:12_345])
    download(f"{server.url}/{name}", dest, config_key="download.vgg16")
    assert dest.read_bytes() == data
    assert server.seen == [(name, "bytes=12345-")]


def test_a_complete_part_file_is_kept_and_a_stale_longer_one_replaced(server, tmp_path):
    name, data = weights_file()
    server.files[name] = data
    dest = tmp_path / name
    dest.with_name(name + ".part").write_bytes(data)
    download(f"{server.url}/{name}", dest, config_key="download.vgg16")
    assert dest.read_bytes() == data and server.seen == [(name, f"bytes={len(data)}-")]
    dest.unlink()
    dest.with_name(name + ".part").write_bytes(data + b"left over from another version")
    download(f"{server.url}/{name}", dest, config_key="download.vgg16")
    assert dest.read_bytes() == data


def test_download_starts_over_when_the_server_ignores_ranges(server, tmp_path):
    name, data = weights_file()
    server.files[name], server.ranges = data, False
    dest = tmp_path / name
    dest.with_name(name + ".part").write_bytes(b"stale bytes")
    download(f"{server.url}/{name}", dest, config_key="download.vgg16")
    assert dest.read_bytes() == data


def test_checksum_failure_names_file_hashes_and_key_and_leaves_nothing(server, tmp_path):
    name, data = weights_file()
    server.files[name] = data
    dest = tmp_path / name
    wrong = "0" * 64
    with pytest.raises(ChecksumError) as err:
        download(f"{server.url}/{name}", dest, sha256=wrong, config_key="download.alexnet.sha256")
    message = str(err.value)
    assert str(dest) in message and wrong in message
    assert hashlib.sha256(data).hexdigest() in message
    assert "download.alexnet.sha256" in message
    assert not dest.exists() and not dest.with_name(name + ".part").exists()


def test_a_torchvision_name_with_the_wrong_prefix_fails(server, tmp_path):
    _, data = weights_file()
    server.files["tiny-deadbeef.pth"] = data
    with pytest.raises(ChecksumError, match="deadbeef"):
        download(f"{server.url}/tiny-deadbeef.pth", tmp_path / "x.pth", config_key="download.vgg16")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_file_is_an_error_with_the_key(server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404.*download.davis"):
        download(f"{server.url}/nope.zip", tmp_path / "nope.zip", config_key="download.davis")


# ---------------------------------------------------------------------------- unpacking


def png(shape, value=255) -> bytes:
    return cv2.imencode(".png", np.full(shape, value, np.uint8))[1].tobytes()


def jpg() -> bytes:
    return cv2.imencode(".jpg", np.full((24, 32, 3), 90, np.uint8))[1].tobytes()


def davis_zip(videos=("bear", "car")) -> bytes:
    """A DAVIS-data.zip look-alike: DAVIS/ with 480p and 1080p folders and ImageSets."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for video in videos:
            for frame in ("00000", "00001", "00002"):
                zf.writestr(f"DAVIS/JPEGImages/480p/{video}/{frame}.jpg", jpg())
                zf.writestr(f"DAVIS/Annotations/480p/{video}/{frame}.png", png((24, 32)))
                zf.writestr(f"DAVIS/JPEGImages/1080p/{video}/{frame}.jpg", jpg())
        lines = {"train": videos[:1], "val": videos[1:]}
        for split, names in lines.items():
            text = "".join(
                f"/JPEGImages/480p/{v}/00000.jpg /Annotations/480p/{v}/00000.png\n" for v in names
            )
            zf.writestr(f"DAVIS/ImageSets/480p/{split}.txt", text)
        zf.writestr("DAVIS/Annotations/db_info.yml", "sequences: []\n")
    return buf.getvalue()


def test_davis_zip_unpacks_into_the_layout_the_adapter_reads(tmp_path):
    archive = tmp_path / "DAVIS-data.zip"
    archive.write_bytes(davis_zip())
    root = unpack_dataset(
        [archive], tmp_path / "data" / "DAVIS", adapter="davis", exclude=["*/1080p/*"]
    )
    assert not (root / "JPEGImages" / "1080p").exists()
    assert (root / MARKER).is_file()
    df = index_davis(root, test_split="val")
    assert df.groupby("split")["video"].unique().map(list).to_dict() == {
        "test": ["car"],
        "train": ["bear"],
    }
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["DAVIS"]  # no leftovers


def test_segtrackv2_tar_unpacks_and_indexes(tmp_path):
    archive = tmp_path / "SegTrackv2.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name, data in {
            "SegTrackv2/JPEGImages/bmx/bmx_00000.png": png((24, 32, 3), 80),
            "SegTrackv2/JPEGImages/bmx/bmx_00001.png": png((24, 32, 3), 80),
            "SegTrackv2/GroundTruth/bmx/bmx_00000.png": png((24, 32)),
            "SegTrackv2/GroundTruth/bmx/bmx_00001.png": png((24, 32)),
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    root = unpack_dataset([archive], tmp_path / "SegTrackV2", adapter="segtrackv2")
    df = index_segtrackv2(root, gt_cache=tmp_path / "cache")
    assert len(df) == 2 and (df["gt"] != "").all()


def test_unpacking_refuses_the_wrong_archive_and_escaping_members(tmp_path):
    wrong = tmp_path / "wrong.zip"
    with zipfile.ZipFile(wrong, "w") as zf:
        zf.writestr("something/else.txt", "x")
    with pytest.raises(DownloadError, match="JPEGImages/480p"):
        unpack_dataset([wrong], tmp_path / "DAVIS", adapter="davis")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../outside.txt", "x")
    with pytest.raises(DownloadError, match="outside"):
        unpack_dataset([evil], tmp_path / "DAVIS", adapter="davis")
    assert not (tmp_path / "DAVIS").exists() and not (tmp_path / "outside.txt").exists()


def duts_zip(n=3) -> bytes:
    """A DUTS-TR.zip look-alike: DUTS-TR/DUTS-TR-Image/*.jpg and DUTS-TR/DUTS-TR-Mask/*.png."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(n):
            zf.writestr(f"DUTS-TR/DUTS-TR-Image/ILSVRC_{i}.jpg", jpg())
            zf.writestr(f"DUTS-TR/DUTS-TR-Mask/ILSVRC_{i}.png", png((24, 32)))
    return buf.getvalue()


def test_duts_zip_unpacks_into_the_layout_the_pre_training_reads(tmp_path):
    archive = tmp_path / "DUTS-TR.zip"
    archive.write_bytes(duts_zip())
    root = unpack_dataset([archive], tmp_path / "DUTS-TR", adapter="duts")
    pairs = index_images(root)
    assert [(i.name, m.name) for i, m in pairs][0] == ("ILSVRC_0.jpg", "ILSVRC_0.png")
    assert len(pairs) == 3


# ---------------------------------------------------------------------------- the rules


def test_download_rules_fetch_a_missing_dataset_and_weights(server, tmp_path):
    """`snakemake <manifest> <weights>` with an absent root: the DAG downloads, verifies and
    unpacks the archive, builds the manifest from it, and fetches the weight file."""
    name, data = weights_file(b"vgg")
    server.files[name] = data
    server.files["DAVIS-data.zip"] = davis_zip()
    weights = tmp_path / "checkpoints" / name
    overlay = {
        "datasets": ["davis"],
        "data": {"davis": {"root": "data/DAVIS", "test_split": "val"}},
        "model": {"backbone_init": "torchvision", "backbone_weights": str(weights)},
        "download": {
            "davis": {"archives": [{"url": f"{server.url}/DAVIS-data.zip", "sha256": ""}]},
            "vgg16": {"url": f"{server.url}/{name}", "sha256": ""},
        },
    }
    config = tmp_path / "overlay.yaml"
    config.write_text(yaml.safe_dump(overlay))
    targets = ["results/manifests/davis.csv", str(weights)]
    cmd = [SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path)]
    cmd += ["--cores", "1", *targets, "--configfile", str(config)]  # --configfile takes several
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    assert weights.read_bytes() == data
    assert (tmp_path / "data" / "DAVIS" / "JPEGImages" / "480p" / "bear").is_dir()
    assert "bear" in (tmp_path / "results" / "manifests" / "davis.csv").read_text()
    assert not (tmp_path / "results" / "downloads" / "DAVIS-data.zip").exists()  # temp()
    # Present files get no download rule (a forced rerun cannot delete them), are never fetched
    # again, and the manifest built from the downloaded root stays up to date.
    server.seen.clear()
    cmd.remove(str(weights))
    again = subprocess.run([*cmd, "-n"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "Nothing to be done" in again.stdout + again.stderr, again.stdout[-3000:]
    assert server.seen == []


def test_a_missing_pretrain_root_is_downloaded_by_its_rule(server, tmp_path):
    server.files["DUTS-TR.zip"] = duts_zip()
    overlay = {
        "pretrain": {"root": "data/DUTS-TR"},
        "download": {"duts": {"archives": [{"url": f"{server.url}/DUTS-TR.zip"}]}},
    }
    config = tmp_path / "overlay.yaml"
    config.write_text(yaml.safe_dump(overlay))
    cmd = [SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path)]
    cmd += ["--cores", "1", "data/DUTS-TR", "--configfile", str(config)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    assert len(index_images(tmp_path / "data" / "DUTS-TR")) == 3
    assert server.seen  # fetched from the loopback server


def test_missing_roots_point_at_the_download_rules(tmp_path):
    from stan.data.fbms import index_fbms
    from stan.io import InputError

    for index, rule in [
        (lambda: index_davis(tmp_path / "none"), "download_davis"),
        (
            lambda: index_segtrackv2(tmp_path / "none", gt_cache=tmp_path / "c"),
            "download_segtrackv2",
        ),
        (lambda: index_fbms(tmp_path / "none", gt_cache=tmp_path / "c"), "download_fbms"),
    ]:
        with pytest.raises(InputError, match=rule):
            index()


def test_a_missing_flownet2_checkpoint_stops_the_run_with_its_origin(tmp_path):
    checkpoint = tmp_path / "ckpt" / "FlowNet2-S_checkpoint.pth.tar"
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        yaml.safe_dump(
            {"flow": {"method": "flownet2-s", "flownet2": {"checkpoint": str(checkpoint)}}}
        )
    )
    cmd = [SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path)]
    cmd += ["--cores", "1", str(checkpoint), "--configfile", str(overlay)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    log = (tmp_path / "results" / "logs" / "download" / "flownet2_checkpoint.log").read_text()
    for needed in (
        str(checkpoint),
        "FlowNet2S checkpoint not found",
        "Google Drive",
        "flownet2-pytorch",
        "flow.flownet2.checkpoint",
    ):
        assert needed in log, log
    assert not checkpoint.exists()
