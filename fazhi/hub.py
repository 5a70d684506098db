"""Keeping Hugging Face libraries offline and quiet.

Nothing fazhi runs reaches the network unless the user asks for it with
FAZHI_ALLOW_HUB=1 (for `fazhi train --base-model NAME` with a hub name).
Standard library only until transformers is already being imported anyway.
"""

from __future__ import annotations

import os

from fazhi.errors import UsageError


def quiet_transformers() -> None:
    """Offline unless FAZHI_ALLOW_HUB is set; no progress bars or warnings from transformers."""
    os.environ.setdefault("HF_HUB_OFFLINE", "0" if os.environ.get("FAZHI_ALLOW_HUB") else "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


HUB_TIMEOUT_S = 20.0


def check_base_model(name: str | None, timeout_s: float = HUB_TIMEOUT_S) -> None:
    """Refuse, in one line, a --base-model that is neither a model directory nor (with FAZHI_ALLOW_HUB=1) a hub
    name the hub answers for within timeout_s; the hub's own retries would otherwise wait for minutes.

    None, 'none' and 'shipped' are resolved by training and pass here.
    """
    from pathlib import Path

    if name is None or name in ("none", "shipped"):
        return
    path = Path(name)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise UsageError(
                f"--base-model {name}: expected a model directory with config.json, found a folder without one"
            )
        return
    looks_local = name.startswith((".", "/", "~")) or name.count("/") > 1 or path.suffix
    if not os.environ.get("FAZHI_ALLOW_HUB") or looks_local:
        raise UsageError(
            f"--base-model {name}: expected a model directory (written by `fazhi pretrain`, or a BERT "
            "checkpoint) or, with FAZHI_ALLOW_HUB=1, a Hugging Face model name; found no such directory"
        )
    # Every hub call below gets the bound, and the reachability check comes first: one try, no retries.
    os.environ["HF_HUB_ETAG_TIMEOUT"] = str(int(timeout_s))
    os.environ["HF_HUB_DOWNLOAD_TIMEOUT"] = str(int(timeout_s))
    import time

    start = time.monotonic()
    try:
        from huggingface_hub import HfApi

        HfApi().model_info(name, timeout=timeout_s)
    except Exception as exc:  # no network, a timeout, an unknown name: one line each, saying which it was
        raise UsageError(
            f"--base-model {name}: not a local directory, and "
            f"{_hub_failure(exc, time.monotonic() - start, timeout_s)}; "
            "check the name and the network, or pass a directory"
        ) from None


def _hub_failure(exc: Exception, waited_s: float, timeout_s: float) -> str:
    """What went wrong asking the hub: no such model, no answer within the bound, or no connection at all."""
    why = type(exc).__name__
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if why in ("RepositoryNotFoundError", "GatedRepoError") or status in (401, 404):
        return f"the Hugging Face hub has no model of that name that can be read ({why}, HTTP {status})"
    if "Timeout" in why or waited_s >= timeout_s * 0.9:
        return f"the Hugging Face hub did not answer for it within {timeout_s:g} s ({why})"
    return f"the Hugging Face hub could not be reached ({why} after {waited_s:.1f} s)"
