"""Downloads for machines with internet: resumable HTTP(S) fetches checked by sha256, and archives
unpacked into a dataset root in the layout its adapter reads (workflow/rules/download.smk).

A download is written to ``<dest>.part`` and renamed to ``<dest>`` only once complete and
verified, so ``<dest>`` never exists half-written. An interrupted download resumes from the
``.part`` file with an HTTP ``Range`` request (a server that ignores ``Range`` is read from the
start again). A checksum mismatch removes the ``.part`` file and raises :class:`ChecksumError`,
which names the file, both hashes and the config key.

What is verified: a full sha256 when the config gives one; otherwise the hash prefix that
torchvision puts in its file names (``vgg16-397923af.pth``: the sha256 starts with ``397923af``);
otherwise nothing (the dataset archives publish no checksums; set ``sha256`` in the config to pin
the copy you trust).
"""

from __future__ import annotations

import fnmatch
import hashlib
import http.client
import json
import logging
import os
import re
import shutil
import tarfile
import time
import zipfile
from pathlib import Path, PurePosixPath
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse
from urllib.request import Request, urlopen

from tqdm import tqdm

from stan.io import InputError

log = logging.getLogger(__name__)

CHUNK = 1 << 20
# torchvision's convention: <name>-<first 8 or more hex digits of the sha256>.<ext>
HASH_IN_NAME = re.compile(r"-([0-9a-f]{8,64})\.[A-Za-z][A-Za-z.]*$")
# Written into a dataset root assembled here; its presence tells the workflow the root came
# from a download (workflow/rules/common_download.smk).
MARKER = ".stan-download.json"

# The folder of an archive that goes into the dataset root is the shallowest one holding every
# path of one of these sets (FBMS ships its two halves as two archives).
LAYOUTS: dict[str, list[list[str]]] = {
    "davis": [["JPEGImages/480p", "Annotations/480p"]],
    "segtrackv2": [["JPEGImages", "GroundTruth"]],
    "fbms": [["Trainingset"], ["Testset"]],
    "duts": [["DUTS-TR-Image", "DUTS-TR-Mask"]],  # pretrain.root (stan.train.pretrain)
}


class DownloadError(InputError):
    """A download or an unpacking failed; the message says what to do."""


class ChecksumError(DownloadError):
    """A downloaded file does not have the expected sha256."""


def file_name(url: str) -> str:
    """The last path component of ``url`` (the name the file is stored under)."""
    name = PurePosixPath(urlparse(url).path).name
    if not name:
        raise DownloadError(f"{url}: the URL names no file")
    return name


def expected_hash(url: str, sha256: str = "") -> str:
    """The sha256 (or leading part of it) a download of ``url`` must match; '' when unknown."""
    if sha256:
        return sha256.lower()
    match = HASH_IN_NAME.search(file_name(url))
    return match[1] if match else ""


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download(
    url: str,
    dest: str | os.PathLike,
    *,
    sha256: str = "",
    config_key: str,
    retries: int = 3,
    timeout: float = 60.0,
) -> Path:
    """Fetch ``url`` to ``dest`` through ``dest.part``, resuming a partial ``.part`` file.

    ``sha256`` is the full hex digest to check, or '' to check only the hash prefix in a
    torchvision file name (nothing for other names). ``config_key`` names the config entry of
    the URL and checksum in error messages.
    """
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    expected = expected_hash(url, sha256)
    for attempt in range(1, retries + 1):
        try:
            if _fetch(url, part, timeout):
                break
            continue  # a stale part file was removed: start over at once
        except (URLError, OSError, http.client.HTTPException) as err:
            if isinstance(err, HTTPError) and err.code < 500:
                raise DownloadError(
                    f"{url}: HTTP {err.code} {err.reason}; check the URL (config key "
                    f"{config_key}) or fetch the file by hand and place it at {dest}"
                ) from err
            if attempt == retries:
                raise DownloadError(
                    f"{url}: download failed after {retries} attempts ({err}); "
                    f"{part} is kept, so the next run resumes it. Without internet, fetch the "
                    f"file elsewhere and place it at {dest} (config key {config_key})"
                ) from err
            log.warning("%s: attempt %d failed (%s); resuming", url, attempt, err)
            time.sleep(min(2**attempt, 30))
    else:
        raise DownloadError(f"{url}: still incomplete after {retries} attempts; {part} is kept")
    actual = sha256_of(part)
    if expected and not actual.startswith(expected):
        part.unlink()
        raise ChecksumError(
            f"{dest}: sha256 {actual} does not match the expected {expected} (config key "
            f"{config_key}; file from {url}). The download was removed; rerun to fetch it "
            "again, or correct the checksum if the source changed on purpose"
        )
    os.replace(part, dest)
    log.info(
        "%s -> %s (%d bytes, sha256 %s, %s)",
        url,
        dest,
        dest.stat().st_size,
        actual,
        f"expected {expected}" if expected else "no checksum configured",
    )
    return dest


def _fetch(url: str, part: Path, timeout: float) -> bool:
    """One attempt: append the rest of ``url`` to ``part``. True when the file is complete."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "stan-fetch/1"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        response = urlopen(Request(url, headers=headers), timeout=timeout)
    except HTTPError as err:
        if err.code != 416 or not have:
            raise
        # Nothing past `have`: complete if the server's size is `have`, else a stale part file.
        if _content_range(err.headers.get("Content-Range", "")) == (None, have):
            return True
        log.info("%s: %s does not match the file on the server; starting over", url, part)
        part.unlink()
        return False
    with response:
        resumed = have and response.status == 206
        if resumed and _content_range(response.headers.get("Content-Range", ""))[0] != have:
            raise DownloadError(f"{url}: the server resumed at another offset than {have} bytes")
        if have and not resumed:
            log.info("%s: the server ignored the Range request; downloading from the start", url)
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        with (
            open(part, "ab" if resumed else "wb") as f,
            tqdm(total=total, initial=have, unit="B", unit_scale=True, desc=part.name) as bar,
        ):
            while chunk := response.read(CHUNK):
                f.write(chunk)
                bar.update(len(chunk))
    size = part.stat().st_size
    if total is not None and size < total:
        raise http.client.IncompleteRead(b"", total - size)
    return True


def _content_range(header: str) -> tuple[int | None, int | None]:
    """(first byte, total size) of a Content-Range header ("bytes 10-99/100", "bytes */100")."""
    match = re.fullmatch(r"bytes (?:(\d+)-\d+|\*)/(\d+|\*)", header.strip())
    if not match:
        return None, None
    first, total = match.groups()
    return (int(first) if first else None), (int(total) if total != "*" else None)


def unpack_dataset(
    archives: list[str | os.PathLike],
    root: str | os.PathLike,
    *,
    adapter: str,
    exclude: list[str] = (),
    sources: list[str] = (),
) -> Path:
    """Unpack ``archives`` into the dataset folder ``root`` (which must not exist yet).

    From each archive the shallowest folder holding one of the adapter's marker sets
    (:data:`LAYOUTS`) is merged into ``root``; members matching a glob of ``exclude`` (e.g.
    ``*/1080p/*``) are skipped. The folder is assembled beside ``root`` and renamed into place
    when complete, with a marker file recording where it came from.
    """
    root = Path(root)
    if root.exists():
        raise DownloadError(f"{root}: exists already; remove it to unpack a fresh copy")
    if adapter not in LAYOUTS:
        raise DownloadError(f"no download layout for adapter {adapter!r}; known: {sorted(LAYOUTS)}")
    staging = root.with_name(f".{root.name}.unpacking")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "root").mkdir(parents=True)
    for archive in map(Path, archives):
        scratch = staging / "extract"
        _extract(archive, scratch, exclude)
        top = _layout_folder(scratch, LAYOUTS[adapter], archive)
        for entry in sorted(top.iterdir()):
            target = staging / "root" / entry.name
            if target.exists():
                raise DownloadError(
                    f"{archive}: {entry.name} is also in an earlier archive of this dataset"
                )
            entry.rename(target)
        shutil.rmtree(scratch)
    marker = {
        "adapter": adapter,
        "archives": [Path(a).name for a in archives],
        "urls": list(sources),
    }
    (staging / "root" / MARKER).write_text(json.dumps(marker, indent=1) + "\n")
    root.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging / "root", root)
    shutil.rmtree(staging)
    log.info("%s: unpacked %d archive(s) in the %s layout", root, len(archives), adapter)
    return root


def _extract(archive: Path, into: Path, exclude: list[str]) -> None:
    """Extract a zip or tar archive, refusing members that would land outside ``into``."""

    def wanted(name: str) -> bool:
        parts = PurePosixPath(name).parts
        if name.startswith("/") or ".." in parts:
            raise DownloadError(f"{archive}: member {name!r} points outside the archive folder")
        return not any(fnmatch.fnmatch(name, pattern) for pattern in exclude)

    into.mkdir(parents=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.namelist() if wanted(m)]
            for member in tqdm(members, desc=f"unzip {archive.name}", unit="file"):
                zf.extract(member, into)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            members = [m for m in tf.getmembers() if wanted(m.name)]
            tf.extractall(into, members=members, filter="data")
    else:
        raise DownloadError(
            f"{archive}: neither a zip nor a tar archive (an HTML error page instead of the "
            "data?); delete it and check the URL"
        )


def _layout_folder(scratch: Path, marker_sets: list[list[str]], archive: Path) -> Path:
    folders = sorted(
        (p for p in [scratch, *scratch.rglob("*")] if p.is_dir()),
        key=lambda p: (len(p.relative_to(scratch).parts), str(p)),
    )
    for folder in folders:
        if any(all((folder / m).exists() for m in markers) for markers in marker_sets):
            return folder
    wanted = " or ".join("+".join(markers) for markers in marker_sets)
    raise DownloadError(
        f"{archive}: no folder holding {wanted} inside; is it the right archive for this dataset?"
    )
