"""The model in supervised worker processes: protocol (messages over multiprocessing.connection), process
(one worker, restarted when it stops answering), pool (several behind one Predictor), child (the worker's side)."""

from fazhi.serve.batching import ModelUnavailable
from fazhi.serve.worker.pool import ModelPool
from fazhi.serve.worker.process import ModelProcess, WorkerError

__all__ = ["ModelPool", "ModelProcess", "ModelUnavailable", "WorkerError"]
