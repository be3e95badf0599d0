"""Ray must never hang a sweep: an unreachable --address fails in seconds, a Ray that does not start
within the deadline or fails to start is a SweepError (in the one exception tree), and ray is imported
only when a sweep uses it."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import threading
import time
import types
from pathlib import Path
from typing import Any

import pytest

from avwap.backtest.sweep_grid import grid_from_mapping
from avwap.backtest.sweep_tasks import RunPayload, RunTask
from avwap.backtest.sweep_workers import Workers, execute, probe_address, start_ray
from avwap.core.errors import AvwapError, SweepError


def closed_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


def a_task() -> RunTask:
    item = grid_from_mapping({"STOP_BUFFER": [0.1]}).sets[0]
    day = dt.date(2026, 9, 14)
    return RunTask("p000", item, day, day, "/nonexistent", "/nonexistent", (), None, None, "1d", "test")


def test_sweep_error_is_in_the_one_exception_tree() -> None:
    assert issubclass(SweepError, AvwapError)


def test_an_unreachable_address_fails_fast_with_a_clear_error() -> None:
    began = time.monotonic()
    with pytest.raises(SweepError, match="cannot reach a Ray cluster"):
        execute([a_task()], Workers(count=2, address=f"127.0.0.1:{closed_port()}", start_timeout=60))
    assert time.monotonic() - began < 15  # the probe, not Ray's minutes of retries
    with pytest.raises(SweepError, match="cannot reach"):
        probe_address(f"ray://127.0.0.1:{closed_port()}", timeout=2)
    with pytest.raises(SweepError, match="expected HOST:PORT"):
        probe_address("nowhere")


class FakeRay(types.ModuleType):
    """A ray module whose init blocks (a cluster that never answers) or fails."""

    def __init__(self, failure: BaseException | None = None) -> None:
        super().__init__("ray")
        self.failure, self.release, self.shutdowns = failure, threading.Event(), 0

    def init(self, **options: Any) -> None:
        if self.failure is not None:
            raise self.failure
        self.release.wait(30)

    def shutdown(self) -> None:
        self.shutdowns += 1


def test_ray_that_does_not_start_in_time_is_a_sweep_error(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeRay()
    monkeypatch.setitem(sys.modules, "ray", fake)
    began = time.monotonic()
    try:
        with pytest.raises(SweepError, match=r"did not start within 0 s \(ray local, 2 CPUs\)"):
            start_ray(Workers(count=2, start_timeout=0.3))
        assert time.monotonic() - began < 5
    finally:
        fake.release.set()


def test_ray_that_fails_to_start_is_a_sweep_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ray", FakeRay(RuntimeError("no space for the object store")))
    with pytest.raises(SweepError, match=r"Ray failed to start .*no space for the object store"):
        execute([a_task()], Workers(count=2, start_timeout=10))
    # A sweep whose Ray does not start leaves the previous sweep's folder as it was.
    from avwap.backtest.sweep import MARKER, SweepRequest, run_sweep

    out = tmp_path / "sweep"
    out.mkdir()
    (out / MARKER).write_text("", encoding="utf-8")
    (out / "results.json").write_text("{}", encoding="utf-8")
    grid = grid_from_mapping({"STOP_BUFFER": [0.1]})
    day = dt.date(2026, 9, 14)
    request = SweepRequest(grid=grid, start=day, end=day, data_root=tmp_path, out=out, environ={})
    with pytest.raises(SweepError):
        run_sweep(request, Workers(count=2, start_timeout=10))
    assert (out / "results.json").read_text(encoding="utf-8") == "{}"


def test_one_worker_runs_in_process_without_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # importing ray would fail
    seen: list[str] = []

    def function(task: RunTask) -> RunPayload:
        seen.append(task.key)
        return RunPayload(task.key, task.parameters.id, {}, (), (), ())

    tasks = [a_task(), a_task()]
    assert [payload.key for payload in execute(tasks, Workers(count=1), function)] == ["p000", "p000"]
    assert seen == ["p000", "p000"]
    with pytest.raises(SweepError, match="at least 1"):
        execute(tasks, Workers(count=0), function)


def test_the_cli_and_the_sweep_modules_do_not_import_ray() -> None:
    script = (
        "import sys\n"
        "import avwap.backtest.sweep, avwap.cli.backtest_command\n"
        "from avwap.cli.main import build_app\n"
        "build_app(('avwap.cli.backtest_command',))\n"
        "print('ray' in sys.modules)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=Path(__file__).parent
    )
    assert completed.stdout.strip() == "False"


def test_the_thread_that_starts_ray_lives_until_shutdown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ray's local processes die with the thread that started them (parent-death signal): the starting
    thread must outlive every task, and shut Ray down itself."""
    threads: list[int] = []

    class QuickRay(FakeRay):
        def init(self, **options: Any) -> None:
            threads.append(threading.get_ident())

        def shutdown(self) -> None:
            threads.append(threading.get_ident())

    monkeypatch.setitem(sys.modules, "ray", QuickRay())
    session = start_ray(Workers(count=2))
    time.sleep(0.1)
    assert session.thread.is_alive() and len(threads) == 1
    session.shutdown()
    assert not session.thread.is_alive()
    assert threads[0] == threads[1] != threading.get_ident()


@pytest.mark.parametrize("cluster", [False, True])
def test_local_ray_and_a_cluster_address_take_the_same_path(
    monkeypatch: pytest.MonkeyPatch, cluster: bool
) -> None:
    """Local: num_cpus, a small object store, no dashboard. --address: only the address (Ray refuses
    resources for an existing cluster), after the probe found something listening."""
    recorded: list[dict[str, Any]] = []

    class RecordingRay(FakeRay):
        def init(self, **options: Any) -> None:
            recorded.append(options)

    monkeypatch.setitem(sys.modules, "ray", RecordingRay())
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"127.0.0.1:{listener.getsockname()[1]}" if cluster else None
        session = start_ray(Workers(count=2, address=address))
        session.shutdown()
    quiet = {"log_to_driver": False, "configure_logging": False}
    if cluster:
        assert recorded == [{**quiet, "address": address}]
    else:
        assert recorded == [
            {**quiet, "num_cpus": 2, "object_store_memory": 100 * 1024 * 1024, "include_dashboard": False}
        ]
