"""Settings of the HTTP service (standard library only: `fazhi serve --help` builds its options from them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fazhi.model.prediction import BATCH_SIZE


@dataclass
class ServeSettings:
    """Settings of the HTTP service; `fazhi serve` has one option per field, with its help and default."""

    model: str | None = field(default=None, metadata={"help": "model directory (default: the shipped model)"})
    host: str = field(
        default="127.0.0.1", metadata={"help": "address to bind (0.0.0.0 exposes the service to the network)"}
    )
    port: int = field(default=8000, metadata={"help": "port"})
    # 2 MiB; a long report is about 100 KB
    max_body_bytes: int = field(
        default=2 * 1024 * 1024, metadata={"help": "largest request body accepted; larger gets 413"}
    )
    max_sentences: int = field(
        default=256, metadata={"help": "most sentences in one /v1/classify request; more gets 422"}
    )
    # A long real report has about 1,500 units; 5,000 is a few minutes of model time at worst on 2 cores.
    max_units: int = field(
        default=5000,
        metadata={"help": "most sentence units in one report of /v1/analyze (each of /v1/compare); more gets 422"},
    )
    max_batch: int = field(
        default=BATCH_SIZE, metadata={"help": "most sentences gathered from concurrent requests into one model call"}
    )
    batch_wait_ms: float = field(
        default=2.0, metadata={"help": "how long a request waits for others to share its model call"}
    )
    # One call is at most --max-batch sentences: about 0.1-0.5 s on 2 cores, so 10 s means the model is stuck.
    model_timeout_s: float = field(
        default=10.0,
        metadata={
            "help": "longest wait for one model call; past it the requests in the "
            "call get 503 (model_unavailable) and the worker process is restarted"
        },
    )
    body_timeout_s: float = field(
        default=15.0,
        metadata={
            "help": "longest time to receive a request body; a slower body, or one "
            "shorter than its Content-Length, gets 408"
        },
    )
    header_timeout_s: float = field(
        default=10.0,
        metadata={
            "help": "longest time to receive a request's line and headers, from the "
            "connection opening or the previous answer; slower gets 408 and "
            "the connection is closed"
        },
    )
    max_header_bytes: int = field(
        default=32 * 1024, metadata={"help": "largest request line and headers; larger gets 431"}
    )
    max_headers: int = field(default=100, metadata={"help": "most header lines in a request; more gets 431"})
    # Each open connection costs a descriptor and about 10 KB; idle ones are closed first when the cap is reached.
    max_connections: int = field(
        default=1000,
        metadata={
            "help": "most open connections; past it the longest-idle one is closed, "
            "and when none is idle the new one gets 503 (server_busy)"
        },
    )
    limit_concurrency: int = field(
        default=256, metadata={"help": "most requests answered at once; more get 503 (server_busy)"}
    )
    compare_timeout_s: float = field(
        default=120.0,
        metadata={
            "help": "longest time to match two reports in /v1/compare (two "
            "5,000-unit reports take about a minute on 2 cores); past it, 503"
        },
    )
    allowed_hosts: str | None = field(
        default=None,
        metadata={
            "help": "comma-separated host names the service answers to (the Host "
            "header; '*' for any); default: the bound address and localhost. "
            "Others get 400, which stops DNS rebinding"
        },
    )
    int8: bool | None = field(
        default=None,
        metadata={
            "help": "dynamic int8 quantisation of a BERT model (faster; scores rounded to "
            "4 decimals); --no-int8 for float32; default: the model directory's "
            "own setting (fazhi_int8 in its config.json)",
            "boolean": True,
        },
    )
    inference: str = field(
        default="process",
        metadata={
            "help": "run the model in a worker process (process) or in a thread of the server process (thread)",
            "choices": ("process", "thread"),
        },
    )
    # Parallel work goes to processes, not threads: on 2 cores, 2 torch threads of one model ran 5x slower than
    # 1 (25x slower single-sentence latency beside a busy server), while 2 one-thread processes ran at full speed.
    workers: int | None = field(
        default=None,
        metadata={
            "help": "model worker processes, each running one model call at a time and taking about 500 MB "
            "(default: one per core, at most 4)",
            "type": int,
        },
    )
    model_threads: int = field(default=1, metadata={"help": "CPU threads of a torch model in each worker process"})
    log_level: str = field(
        default="warning",
        metadata={"help": "server log level", "choices": ("critical", "error", "warning", "info", "debug")},
    )
    access_log: bool = field(default=False, metadata={"help": "log every request"})

    def hosts(self) -> list[str]:
        """The host names requests may carry: --allowed-hosts, else the bound address and localhost."""
        if self.allowed_hosts:
            return [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]
        bound = [] if self.host in ("0.0.0.0", "::", "") else [self.host.strip("[]")]
        return [*bound, "localhost", "127.0.0.1", "::1"]

    def validate(self) -> None:
        """ValueError naming the first option out of its range, with what was expected and found."""
        for name, low in _AT_LEAST.items():
            if getattr(self, name) < low:
                raise ValueError(f"expected --{name.replace('_', '-')} of at least {low}, found {getattr(self, name)}")
        for name in _TIMEOUTS:
            if not 0 < getattr(self, name) <= 3600:
                raise ValueError(
                    f"expected --{name.replace('_', '-')} above 0 and at most 3600, found {getattr(self, name)}"
                )
        if not 0 <= self.batch_wait_ms <= 1000:
            raise ValueError(f"expected --batch-wait-ms between 0 and 1000, found {self.batch_wait_ms}")
        if self.workers is not None and not 1 <= self.workers <= 64:
            raise ValueError(f"expected --workers between 1 and 64, found {self.workers}")
        if self.inference not in ("process", "thread"):
            raise ValueError(f"expected --inference 'process' or 'thread', found {self.inference!r}")
        if self.allowed_hosts is not None and not self.hosts():
            raise ValueError(
                f"expected --allowed-hosts to name at least one host (or '*'), found {self.allowed_hosts!r}"
            )
        if not 0 <= self.port <= 65535:
            raise ValueError(f"expected a port between 0 and 65535, found {self.port}")


# The lower bound of each count and size option, and the options that are timeouts in seconds.
_AT_LEAST = {
    "max_body_bytes": 1024,
    "max_sentences": 1,
    "max_units": 1,
    "max_batch": 1,
    "model_threads": 1,
    "max_header_bytes": 1024,
    "max_headers": 8,
    "max_connections": 2,
    "limit_concurrency": 1,
}
_TIMEOUTS = ("model_timeout_s", "body_timeout_s", "header_timeout_s", "compare_timeout_s")
