"""Where the tool writes: every output path is checked before the work that fills it, and
every file is written atomically (a temporary file beside it, flushed, then renamed over
it), so a failure never leaves half a file and a full disk never destroys the last one."""

import os
import tempfile
from pathlib import Path


class OutputError(Exception):
    """One line: which output and why it cannot be written."""


def check_file(text, option, suffixes=None):
    """The Path an option names, or OutputError: not empty, not a directory or a device,
    with a name ending in one of suffixes (if given), in a directory that exists and
    that this user may write in."""
    path = _named(text, option)
    if path.is_dir():
        raise OutputError("%s %s: is a directory, needs a file name" % (option, text))
    if path.exists() and not path.is_file():
        raise OutputError("%s %s: not a regular file" % (option, text))
    if suffixes and path.suffix.lower() not in suffixes:
        raise OutputError("%s %s: needs a file name ending in %s" % (option, text, " or ".join(suffixes)))
    _writable_dir(path.parent, option, text)
    return path


def check_dir(text, option):
    """The Path of an output directory, made (with its parents) if missing."""
    path = _named(text, option)
    if path.exists() and not path.is_dir():
        raise OutputError("%s %s: exists and is not a directory" % (option, text))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError("%s %s: %s" % (option, text, e.strerror)) from None
    _writable_dir(path, option, text)
    return path


def write_text(path, text):
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path, data):
    """Write data to path atomically, or OutputError (the old file, if any, untouched)."""
    path = Path(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix="." + path.name + ".", suffix=".tmp")
        os.chmod(tmp, _mode(path))
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        raise OutputError("%s: %s" % (path, e.strerror or e)) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _mode(path):
    """The file's mode as it is, or as a plain open() would create it (mkstemp's is 0600)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _named(text, option):
    if text is None or not str(text).strip():
        raise OutputError("%s: an empty path" % option)
    return Path(text)


def _writable_dir(directory, option, text):
    directory = directory if str(directory) else Path(".")
    if not directory.is_dir():
        raise OutputError("%s %s: directory %s does not exist" % (option, text, directory))
    try:  # try it: permissions, a read-only mount, a full disk's inodes (os.access trusts root)
        tempfile.TemporaryFile(dir=str(directory)).close()
    except OSError as e:
        raise OutputError("%s %s: cannot write in directory %s: %s" % (option, text, directory, e.strerror)) from None
