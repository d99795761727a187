import os

# numpy's BLAS must not start a thread pool of its own in our processes: the judgement's
# small matrix products gain nothing from it, and its threads spin between calls, which
# doubled the worker's CPU per message (126 against 57 ms, bench/bench_make_run_drain.py).
# Set before anything imports numpy; an operator's explicit setting still wins.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from fte_project.celery import app as celery_app  # noqa: E402 - after the thread limits

__all__ = ["celery_app"]
