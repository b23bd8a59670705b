"""Finding a pretrained file: the local cache, the copy in the wheel, the origin.

``fetch(spec)`` returns the path of a file whose sha256 is the one recorded in
``spec`` (a dict with ``"file"``, ``"sha256"``, ``"size"`` and ``"packaged"``),
looking in this order:

1. the cache, ``$KERAS_GAN_ZOO_CACHE`` or ``~/.keras/keras_gan_zoo/`` (or the
   ``cache_dir`` argument); a cached file with another hash is deleted and fetched again;
2. the copy packaged with keras_gan_zoo (``keras_gan_zoo/applications/weights/``) for
   the small files the wheel carries, so the default works offline on a fresh install;
3. the origin, ``$KERAS_GAN_ZOO_WEIGHTS_URL`` (or the ``origin`` argument): an
   ``https://`` / ``http://`` URL, a ``file://`` URL or a plain directory holding the
   files under their registry names.

Downloads stream into a temporary file in the cache directory, are retried on a
broken connection (resuming with an HTTP ``Range`` request when the server allows it,
else restarting), are checked against the recorded size and sha256, and only then
renamed into place (``os.replace``). A failed or mismatching download leaves nothing
in the cache.
"""

import http.client
import os
import shutil
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from keras_gan_zoo.utils.files import atomic_output, sha256_file

__all__ = [
    "CACHE_ENV",
    "ChecksumError",
    "DownloadError",
    "ORIGIN_ENV",
    "PACKAGE_DIR",
    "WeightsUnavailableError",
    "default_cache_dir",
    "fetch",
    "sha256_file",
]

ORIGIN_ENV = "KERAS_GAN_ZOO_WEIGHTS_URL"
CACHE_ENV = "KERAS_GAN_ZOO_CACHE"
PACKAGE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")

#: Attempts per download and the pause before attempt k (k * RETRY_BACKOFF seconds).
ATTEMPTS = 3
RETRY_BACKOFF = 1.0
TIMEOUT = 60.0
_CHUNK = 1 << 16


class ChecksumError(ValueError):
    """A file's sha256 differs from the one in the registry."""


class DownloadError(RuntimeError):
    """The origin could not deliver a file (not found, or the connection kept failing)."""


class WeightsUnavailableError(RuntimeError):
    """A file is in neither the cache nor the package, and no origin is configured."""


class _Incomplete(Exception):
    """A transfer ended before the announced number of bytes (retryable)."""


def default_cache_dir(cache_dir=None):
    """The cache directory: the argument, else ``$KERAS_GAN_ZOO_CACHE``, else
    ``$KERAS_HOME/keras_gan_zoo`` (``~/.keras/keras_gan_zoo`` by default)."""
    if cache_dir is None:
        cache_dir = os.environ.get(CACHE_ENV) or os.path.join(
            os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras"),
            "keras_gan_zoo")
    return os.path.abspath(os.path.expanduser(os.fspath(cache_dir)))


def _origin(origin):
    """The configured origin (argument, else environment), or None."""
    if origin is None:
        origin = os.environ.get(ORIGIN_ENV) or None
    return None if origin is None else os.fspath(origin).strip() or None


def _source(origin, filename):
    """``("http", url)`` or ``("local", path)`` of `filename` at `origin`."""
    if origin.startswith(("http://", "https://")):
        return "http", origin.rstrip("/") + "/" + urllib.parse.quote(filename)
    if origin.startswith("file://"):
        parsed = urllib.parse.urlparse(origin)
        if parsed.netloc not in ("", "localhost"):
            raise ValueError(f"{ORIGIN_ENV}: file:// URLs must name a local path; got {origin!r}.")
        return "local", os.path.join(urllib.request.url2pathname(parsed.path), filename)
    if "://" in origin:
        raise ValueError(
            f"{ORIGIN_ENV} must be an https://, http:// or file:// URL or a directory; "
            f"got {origin!r}."
        )
    return "local", os.path.join(os.path.expanduser(origin), filename)


def _megabytes(size):
    return f"{size / 1e6:.1f} MB"


def _copy_local(path, tmp):
    try:
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, _CHUNK)
    except FileNotFoundError as error:
        raise DownloadError(f"{path!r} does not exist at the origin.") from error


def _http_transfer(url, tmp, expected_size, timeout):
    """One HTTP request into `tmp`, resuming after the bytes already there."""
    have = os.path.getsize(tmp)
    if expected_size is not None and have >= expected_size:
        return  # complete already: the hash decides
    request = urllib.request.Request(url, headers={"User-Agent": "keras-gan-zoo"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        resumed = bool(have) and response.status == 206 and (
            response.headers.get("Content-Range", "").startswith(f"bytes {have}-"))
        start = have if resumed else 0  # a server that ignores Range sends it all again
        length = response.headers.get("Content-Length")
        total = start + int(length) if length is not None else expected_size
        with open(tmp, "r+b" if resumed else "wb") as f:
            f.seek(start)
            f.truncate()
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                f.write(chunk)
    got = os.path.getsize(tmp)
    # http.client returns EOF quietly when the peer closes before Content-Length bytes.
    if total is not None and got < total:
        raise _Incomplete(f"connection closed after {got} of {total} bytes")


_RETRYABLE = (_Incomplete, urllib.error.URLError, http.client.HTTPException, ConnectionError,
              socket.timeout, TimeoutError)


def _download(origin, spec, destination, attempts, timeout):
    """Fetches spec["file"] from `origin` into `destination`, verified, atomically."""
    kind, source = _source(origin, spec["file"])
    size = spec.get("size")
    print(f"keras_gan_zoo: fetching {spec['file']}"
          f"{f' ({_megabytes(size)})' if size else ''} from {source}", file=sys.stderr)
    with atomic_output(destination, suffix=".part") as tmp:
        if kind == "local":
            _copy_local(source, tmp)
        else:
            for attempt in range(1, attempts + 1):
                try:
                    _http_transfer(source, tmp, size, timeout)
                    break
                except urllib.error.HTTPError as error:
                    if error.code < 500 or attempt == attempts:
                        raise DownloadError(
                            f"{source} answered HTTP {error.code} {error.reason}.") from error
                    failure = error
                except _RETRYABLE as error:
                    if attempt == attempts:
                        raise DownloadError(
                            f"Could not download {source} in {attempts} attempts: {error}."
                        ) from error
                    failure = error
                print(f"keras_gan_zoo: attempt {attempt} of {attempts} failed ({failure}); "
                      "retrying", file=sys.stderr)
                time.sleep(RETRY_BACKOFF * attempt)
        got_size = os.path.getsize(tmp)
        actual = sha256_file(tmp)
        if actual != spec["sha256"]:
            raise ChecksumError(
                f"sha256 mismatch for {spec['file']} downloaded from {source}: expected "
                f"{spec['sha256']}, got {actual} ({got_size} bytes"
                f"{f', expected {size}' if size else ''}). Nothing was written to the cache; "
                f"the origin holds a different or damaged file."
            )
    return destination


def fetch(spec, *, cache_dir=None, origin=None, attempts=None, timeout=None, what=None,
          recipe=None):
    """Returns a local path to the file of `spec`, with its sha256 verified.

    Args:
        spec: ``{"file": name, "sha256": hex, "size": bytes, "packaged": bool}``.
        cache_dir: cache directory (default :func:`default_cache_dir`).
        origin: where to download from (default ``$KERAS_GAN_ZOO_WEIGHTS_URL``).
        attempts: tries per download on a broken connection (default 3).
        timeout: seconds of socket inactivity before an attempt fails (default 60).
        what: a description for error messages (e.g. "the generator of 'gan_mnist'").
        recipe: the command that rebuilds the file, for the error when it is unavailable.

    Returns:
        A path in the cache or in the package.

    Raises:
        ChecksumError: a downloaded (or packaged, with no origin to repair it) file
            has another sha256; the message names the file and both hashes.
        DownloadError: the origin does not have the file or the connection kept failing.
        WeightsUnavailableError: no cached or packaged copy and no origin configured.

    Example:
        >>> path = fetch(info("gan_mnist")["files"]["generator"])
    """
    attempts = ATTEMPTS if attempts is None else int(attempts)
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}.")
    timeout = TIMEOUT if timeout is None else float(timeout)
    what = what or spec["file"]
    cache = default_cache_dir(cache_dir)
    cached = os.path.join(cache, spec["file"])
    if os.path.isfile(cached):
        actual = sha256_file(cached)
        if actual == spec["sha256"]:
            return cached
        print(f"keras_gan_zoo: the cached {cached} is damaged (sha256 {actual}, expected "
              f"{spec['sha256']}); deleting it and fetching it again", file=sys.stderr)
        os.remove(cached)

    packaged_problem = None
    if spec.get("packaged"):
        packaged = os.path.join(PACKAGE_DIR, spec["file"])
        if os.path.isfile(packaged):
            actual = sha256_file(packaged)
            if actual == spec["sha256"]:
                return packaged
            packaged_problem = ChecksumError(
                f"sha256 mismatch for the packaged {packaged}: expected {spec['sha256']}, got "
                f"{actual}. The installation is damaged; reinstall keras_gan_zoo or set "
                f"{ORIGIN_ENV} to download a good copy."
            )
        else:
            packaged_problem = f"the packaged copy {packaged} is missing"

    source = _origin(origin)
    if source is None:
        if isinstance(packaged_problem, ChecksumError):
            raise packaged_problem
        where = ("is not packaged with keras_gan_zoo" if not spec.get("packaged")
                 else f"should be packaged with keras_gan_zoo but {packaged_problem}")
        size = f" ({_megabytes(spec['size'])})" if spec.get("size") else ""
        raise WeightsUnavailableError(
            f"{what}: {spec['file']}{size} {where} and is not in the cache {cache}. Set "
            f"{ORIGIN_ENV} to the URL (https://, http://, file://) or directory that serves "
            f"the zoo's pretrained files, or pass origin=...; or copy the file into the cache."
            + (f" To rebuild it: {recipe}" if recipe else "")
        )
    return _download(source, spec, cached, attempts, timeout)
