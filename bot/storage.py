"""Kettle's own file store: content-addressed, so files outlive Slack's retention and repeats
are kept once. A file lives at `<files_dir>/<sha[:2]>/<sha>`; the database keeps its name."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import tempfile
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_MAX_BYTES = 200 * 1024 * 1024


class DownloadError(Exception):
    """Slack would not give us the file's bytes (expired, signed-out, too large)."""


def path_for(files_dir: Path, sha256: str) -> Path:
    return Path(files_dir) / sha256[:2] / sha256


def put(files_dir: Path, data: bytes) -> str:
    """Store bytes once; returns their sha256, the name they are kept under."""
    sha = hashlib.sha256(data).hexdigest()
    target = path_for(files_dir, sha)
    if target.exists():
        return sha
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)  # atomic: a reader never sees half a file
    return sha


def get(files_dir: Path, sha256: str) -> bytes:
    return path_for(files_dir, sha256).read_bytes()


def exists(files_dir: Path, sha256: str) -> bool:
    return path_for(files_dir, sha256).is_file()


def remove(files_dir: Path, sha256: str) -> None:
    path_for(files_dir, sha256).unlink(missing_ok=True)


# -- where bytes may come from ------------------------------------------------------------------


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URL, lower-cased, default port left out; None for
    anything else (file:, data:, ftp:, a URL with a user name or password, no host)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host or parts.username or parts.password:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == (443 if scheme == "https" else 80):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def download(
    url: str, token: str, *, max_bytes: int = DEFAULT_MAX_BYTES, timeout: int = 30
) -> bytes:
    """Fetch a Slack file (url_private_download) with the bot token.

    Slack answers a request it does not accept with its HTML sign-in page rather than an error,
    so an HTML answer counts as a failure.
    """
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if "text/html" in (response.headers.get("Content-Type") or ""):
                raise DownloadError("Slack answered with a sign-in page")
            data = response.read(max_bytes + 1)
    except OSError as exc:
        raise DownloadError(str(exc)) from exc
    if len(data) > max_bytes:
        raise DownloadError(f"the file is larger than {max_bytes // (1024 * 1024)} MB")
    return data
