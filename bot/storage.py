"""Kettle's own file store: content-addressed, so files outlive Slack's retention and repeats
are kept once. A file lives at `<files_dir>/<sha[:2]>/<sha>`; the database keeps its name.

Bytes come from Slack only: every request (the first and each redirect) goes to one of the
file hosts in the settings (Slack's own, over https), the bot token goes nowhere else, and the
body is streamed to disk in chunks, cut off (and the partial file deleted) past a size limit.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import ssl
import tempfile
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from http.client import HTTPResponse
from pathlib import Path
from typing import Protocol
from urllib.parse import urljoin, urlsplit

CHUNK = 64 * 1024
MAX_REDIRECTS = 3
#: However slowly a host sends, one download holds a worker no longer than this.
DOWNLOAD_DEADLINE = 10 * 60
_REDIRECTS = (301, 302, 303, 307, 308)


class DownloadError(Exception):
    """Slack would not give us the file's bytes (expired, signed-out, too large)."""


class NotOnSlack(DownloadError):
    """The URL (or a redirect) leads somewhere other than Slack's file hosts; never requested."""

    def __init__(self, url: str) -> None:
        self.host = (urlsplit(url).hostname or url)[:200] if url else "nowhere"
        super().__init__(f"not a Slack file host: {self.host}")


class TooLarge(DownloadError):
    """The file is bigger than the limit given; nothing of it is kept."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the file is larger than {limit} bytes")


class Sink(Protocol):
    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True)
class Kept:
    sha256: str
    size: int


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
    if sha256:
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


def allowed_url(url: str, hosts: Iterable[str]) -> str:
    """The URL rebuilt from the parts that were checked, when its origin is one of `hosts`;
    raises NotOnSlack (before any request) otherwise."""
    origin = origin_of(url) if url else None
    if origin is None or origin not in set(hosts):
        raise NotOnSlack(url)
    parts = urlsplit(url.strip())
    return origin + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _opener() -> urllib.request.OpenerDirector:
    """http(s) only (no file:, ftp: or data: handler), proxies from the environment as the
    Web API client uses them, certificates verified, and no redirect or error handler: every
    answer comes back as it is, so redirects are ours to check."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(context=ssl.create_default_context()),
    ):
        opener.add_handler(handler)
    return opener


def download(
    url: str,
    token: str,
    sink: Sink,
    *,
    hosts: Iterable[str],
    max_bytes: int,
    timeout: float = 30,
) -> int:
    """Stream a Slack file (url_private_download) into `sink`, CHUNK bytes at a time; returns
    the number of bytes written.

    Each hop must be on `hosts` (Slack's file hosts) or it is never requested; redirects are
    followed by hand, at most MAX_REDIRECTS, and the token is sent only to those hosts. Past
    `max_bytes` the download stops with TooLarge. Slack answers a request it does not accept
    with its HTML sign-in page rather than an error, so an HTML answer counts as a failure.
    """
    hosts = tuple(hosts)
    target = allowed_url(url, hosts)
    opener = _opener()
    started = time.monotonic()
    for _hop in range(MAX_REDIRECTS + 1):
        request = urllib.request.Request(target, headers={"Authorization": f"Bearer {token}"})
        try:
            response: HTTPResponse = opener.open(request, timeout=timeout)
        except OSError as exc:
            raise DownloadError(str(exc)) from exc
        with response:
            if response.status in _REDIRECTS:
                location = response.headers.get("Location") or ""
                target = allowed_url(urljoin(target, location), hosts)
                continue
            if response.status != 200:
                raise DownloadError(f"Slack answered {response.status}")
            if "text/html" in (response.headers.get("Content-Type") or ""):
                raise DownloadError("Slack answered with a sign-in page")
            length = response.headers.get("Content-Length") or ""
            if length.isdigit() and int(length) > max_bytes:
                raise TooLarge(max_bytes)
            total = 0
            try:
                while chunk := response.read1(CHUNK):  # returns as bytes arrive
                    total += len(chunk)
                    if total > max_bytes:
                        raise TooLarge(max_bytes)
                    if time.monotonic() - started > DOWNLOAD_DEADLINE:
                        raise DownloadError("the download took too long")
                    sink.write(chunk)
            except OSError as exc:
                raise DownloadError(str(exc)) from exc
            return total
    raise DownloadError("too many redirects")


class _HashingFile:
    def __init__(self, handle: Sink) -> None:
        self.handle = handle
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.hash.update(data)
        self.handle.write(data)


def fetch(
    files_dir: Path,
    url: str,
    token: str,
    *,
    hosts: Iterable[str],
    max_bytes: int,
    timeout: float = 30,
) -> Kept:
    """Download a Slack file straight into the store; a failed or cut-off download leaves
    nothing behind."""
    root = Path(files_dir)
    root.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as handle:
            hashing = _HashingFile(handle)
            size = download(url, token, hashing, hosts=hosts, max_bytes=max_bytes, timeout=timeout)
        sha = hashing.hash.hexdigest()
        target = path_for(root, sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)  # atomic: a reader never sees half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Kept(sha256=sha, size=size)
