"""Atomic file writes (readers see the old file or the complete new one, never a part)
and file hashing."""

import contextlib
import hashlib
import os
import tempfile


def _current_umask():
    """Returns the process umask without changing it when /proc allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_file(path):
    """Flushes a written file to disk; an I/O error here is a failed write."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory):
    """Persists a rename on POSIX; best effort where directories can't be opened."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path, suffix=".tmp"):
    """Yields a temporary path beside `path`; on success it replaces `path`.

    Write the file at the yielded path (any writer: PIL, `model.save`, a download).
    When the block ends without an exception the file is fsync'ed, given the mode
    of the file it replaces (or `0o666 & ~umask`), and renamed over `path` with
    `os.replace`. On any exception it is removed and `path` is left untouched.

    Args:
        path: destination file path (parent directories are created).
        suffix: suffix of the temporary name (`model.save` wants `.keras`).

    Example:
        >>> with atomic_output("run/model.keras", suffix=".keras") as tmp:
        ...     model.save(tmp)
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_current_umask()
    fd, tmp_path = tempfile.mkstemp(
        dir=directory, prefix="." + os.path.basename(path) + ".", suffix=suffix
    )
    os.close(fd)
    try:
        yield tmp_path
        _fsync_file(tmp_path)
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_path)
        raise
    _fsync_directory(directory)


def atomic_write_bytes(path, data):
    """Writes `data` to `path` atomically (see `atomic_output`).

    Args:
        path: destination file path (str or os.PathLike).
        data: the bytes to write (bytes, bytearray or memoryview).

    Returns:
        The destination path as a str.

    Example:
        >>> atomic_write_bytes("out/weights.bin", b"...")
        'out/weights.bin'
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"atomic_write_bytes expects bytes; got {type(data).__name__}.")
    path = os.fspath(path)
    with atomic_output(path) as tmp_path:
        with open(tmp_path, "wb") as f:
            f.write(data)
    return path


def sha256_file(path):
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
