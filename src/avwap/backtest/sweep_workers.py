"""Where a sweep's runs execute: in this process (``--workers 1``) or on Ray.

Ray is local by default (``ray.init(num_cpus=N)``, a small object store, no dashboard, worker logs not
forwarded); ``--address`` connects to an existing cluster instead (whose workers must see the same data and
output folders). Both go through the same code path: one remote task per run, results collected in task
order, so the outputs do not depend on where or in which order the runs finished.

Ray must never hang a sweep (or CI): ray is imported only here, ``--address`` is probed with a short TCP
connect first (an unreachable address fails in seconds, not after Ray's own minutes of retries), and
``ray.init`` runs under a deadline. Any failure to start is a :class:`SweepError` saying what to check.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from avwap.backtest.sweep_tasks import RunPayload, RunTask, run_task
from avwap.core.errors import AvwapError, SweepError

START_TIMEOUT_SECONDS: Final = 120.0
PROBE_TIMEOUT_SECONDS: Final = 5.0
SHUTDOWN_SECONDS: Final = 60.0
OBJECT_STORE_BYTES: Final = 100 * 1024 * 1024  # results are small; Ray's minimum is 75 MB
RunFunction = Callable[[RunTask], RunPayload]


@dataclass(frozen=True)
class Workers:
    """``count`` 1 without an address: in this process; otherwise Ray (``count`` CPUs when local)."""

    count: int = 1
    address: str | None = None
    start_timeout: float = START_TIMEOUT_SECONDS

    @property
    def uses_ray(self) -> bool:
        return self.address is not None or self.count > 1

    def describe(self) -> str:
        if not self.uses_ray:
            return "in-process"
        return f"ray {self.address}" if self.address else f"ray local, {self.count} CPUs"


Runner = Callable[[Sequence[RunTask]], list[RunPayload]]


@contextmanager
def executor(workers: Workers, function: RunFunction = run_task) -> Iterator[Runner]:
    """A runner of task batches (each batch's payloads in task order); Ray, when used, is started once
    for every batch of the sweep and shut down at the end."""
    if workers.count < 1:
        raise SweepError(f"--workers must be at least 1, got {workers.count}")
    if not workers.uses_ray:
        yield lambda tasks: [function(task) for task in tasks]
        return
    session = start_ray(workers)
    ray = session.ray
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(function)

        def run(tasks: Sequence[RunTask]) -> list[RunPayload]:
            references = [remote.remote(task) for task in tasks]
            return [_collect(ray, reference, task) for reference, task in zip(references, tasks, strict=True)]

        yield run
    finally:
        session.shutdown()


def execute(tasks: Sequence[RunTask], workers: Workers, function: RunFunction = run_task) -> list[RunPayload]:
    """Every task's payload, in task order."""
    with executor(workers, function) as run:
        return run(tasks)


def _collect(ray: Any, reference: Any, task: RunTask) -> RunPayload:
    try:
        payload: RunPayload = ray.get(reference)
    except ray.exceptions.RayTaskError as error:
        cause = getattr(error, "cause", None)
        if isinstance(cause, AvwapError):
            raise cause from None  # the engine's own error (data, configuration), as in-process
        raise SweepError(f"run {task.key} failed on a Ray worker: {cause or error}") from None
    except ray.exceptions.RayError as error:
        raise SweepError(f"run {task.key}: Ray failed ({type(error).__name__}: {error})") from None
    return payload


def probe_address(address: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> None:
    """A TCP connect to ``host:port`` (``ray://`` accepted): SweepError at once if nothing listens."""
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise SweepError(f"--address {address!r}: expected HOST:PORT, ray://HOST:PORT or auto")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as error:
        raise SweepError(
            f"--address {address}: cannot reach a Ray cluster there ({error}); is `ray start --head` running "
            "and the port open?"
        ) from None


def start_ray(workers: Workers) -> RayThread:
    """Ray, initialized (``.ray``: the module); SweepError if it does not start within the deadline."""
    try:
        import ray
    except ImportError as error:
        raise SweepError(f"ray is not installed ({error}); use --workers 1") from None
    options: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
    if workers.address is None:
        options |= {
            "num_cpus": workers.count,
            "object_store_memory": OBJECT_STORE_BYTES,
            "include_dashboard": False,
        }
    else:
        if workers.address != "auto":
            probe_address(workers.address)
        options["address"] = workers.address
    session = RayThread(ray, options)
    session.start(workers)
    return session


class RayThread:
    """``ray.init`` and ``ray.shutdown`` on one thread that lives as long as the sweep.

    ray.init has no timeout of its own and retries a silent address for minutes, so it runs off the main
    thread and the driver stops waiting at the deadline. The thread must then stay alive until the end:
    Ray starts its local processes (GCS, raylet) with the parent-death signal set, which fires when the
    *thread* that started them exits."""

    def __init__(self, ray: Any, options: dict[str, Any]) -> None:
        self.ray, self.options = ray, options
        self.started, self.stop = threading.Event(), threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name="ray-driver", daemon=True)

    def _main(self) -> None:
        try:
            self.ray.init(**self.options)
        except BaseException as error:  # handed to the waiting thread
            self.error = error
            self.started.set()
            return
        self.started.set()
        self.stop.wait()
        self.ray.shutdown()

    def start(self, workers: Workers) -> None:
        self.thread.start()
        if not self.started.wait(workers.start_timeout):
            raise SweepError(
                f"Ray did not start within {workers.start_timeout:.0f} s ({workers.describe()}); "
                "check the address and `ray status`, or run with --workers 1"
            )
        if self.error is not None:
            error = self.error
            raise SweepError(f"Ray failed to start ({workers.describe()}): {type(error).__name__}: {error}")

    def shutdown(self) -> None:
        self.stop.set()
        self.thread.join(SHUTDOWN_SECONDS)
