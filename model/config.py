"""The model directory's contract: the one reader and writer of its ``config.json``.

Every model directory says what it is in ``config.json``. fazhi's own keys carry a ``fazhi_`` prefix, so
they sit beside transformers' keys in a BERT's config without clashing; they are named here once:

- ``fazhi_model`` (KIND): which loader reads the directory, one of KINDS;
- ``fazhi_name`` (NAME): the name shown in outputs, the page and /v1/model;
- ``fazhi_context`` (CONTEXT): whether the model reads each unit's heading/report context;
- ``fazhi_int8`` (INT8): whether a BERT is quantized to dynamic int8 at load;
- ``fazhi_max_length`` (MAX_LENGTH): a BERT's token limit;
- ``fazhi_training`` (TRAINING): the resolved training settings that built it.

Composite kinds (cascade, hybrid, ensemble) hold their parts as ordinary model directories inside theirs.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fazhi.errors import ModelLoadError, WriteError

__all__ = [
    "CONFIG_FILE",
    "KIND",
    "NAME",
    "CONTEXT",
    "INT8",
    "MAX_LENGTH",
    "TRAINING",
    "KINDS",
    "COMPOSITE_KINDS",
    "DEFAULT_MAX_LENGTH",
    "read_config",
    "write_config",
    "model_kind",
    "write_json",
    "write_text",
]

CONFIG_FILE = "config.json"
KIND = "fazhi_model"
NAME = "fazhi_name"
CONTEXT = "fazhi_context"
INT8 = "fazhi_int8"
MAX_LENGTH = "fazhi_max_length"
DEFAULT_MAX_LENGTH = (
    128  # tokens a BERT reads, [CLS] and [SEP] included, when its config names none; the training default
)
TRAINING = "fazhi_training"
COMPOSITE_KINDS = ("cascade", "hybrid", "ensemble")
KINDS = ("baseline", "bert", *COMPOSITE_KINDS)


def read_config(directory: str | Path) -> dict[str, Any]:
    """The directory's config.json as a dict; ModelLoadError in one line when it is missing or not a JSON object."""
    directory = Path(directory)
    config_file = directory / CONFIG_FILE
    if not config_file.is_file():
        raise ModelLoadError(f"expected a model directory containing {CONFIG_FILE}, found none at {directory}")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: bad JSON or bad UTF-8
        first = str(exc).strip().splitlines()
        raise ModelLoadError(
            f"{config_file}: not a valid model config: {first[0] if first else type(exc).__name__}"
        ) from None
    if not isinstance(config, dict):
        raise ModelLoadError(f"{config_file}: expected a JSON object, found {type(config).__name__}")
    return config


def model_kind(config: Mapping[str, Any], where: str | Path = CONFIG_FILE) -> str:
    """The loader's kind; ModelLoadError naming the accepted kinds when it is none of them."""
    kind = config.get(KIND)
    if kind not in KINDS:
        raise ModelLoadError(
            f"{where}: expected {KIND!r} to be one of {', '.join(repr(k) for k in KINDS)}, found {kind!r}"
        )
    return str(kind)


def write_json(path: Path, value: Any) -> Path:
    """Write JSON atomically beside its destination (see write_text)."""
    return write_text(path, json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def write_text(path: Path, text: str) -> Path:
    """Write a model directory's file atomically beside its destination (a temporary file, then os.replace), with
    the umask's permissions; refuses to replace anything but a regular file (a link, a device, a FIFO)."""
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise WriteError(f"{path}: expected a regular file to replace, found a link or special file")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; model files are read by other users and by Ray workers
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_config(directory: str | Path, config: Mapping[str, Any]) -> Path:
    """Write a non-BERT model's config.json (a BERT's goes through save_pretrained, with these keys in it)."""
    model_kind(config, Path(directory) / CONFIG_FILE)
    return write_json(Path(directory) / CONFIG_FILE, dict(config))
