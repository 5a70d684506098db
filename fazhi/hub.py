"""Keeping Hugging Face libraries offline and quiet.

Nothing fazhi runs reaches the network unless the user asks for it with
FAZHI_ALLOW_HUB=1 (for `fazhi train --base-model NAME` with a hub name).
Standard library only until transformers is already being imported anyway.
"""

from __future__ import annotations

import os


def quiet_transformers() -> None:
    """Offline unless FAZHI_ALLOW_HUB is set; no progress bars or warnings from transformers."""
    os.environ.setdefault("HF_HUB_OFFLINE", "0" if os.environ.get("FAZHI_ALLOW_HUB") else "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
