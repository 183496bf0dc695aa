"""Running GenreLab's joblib work on an existing Dask cluster (``distributed``), or locally.

``joblib_backend(address)`` is a context manager: inside it every joblib ``Parallel`` call (feature
extraction, the SVM/KNN grid searches, embeddings) runs as tasks on the cluster's workers through
joblib's Dask backend; with no address it changes nothing (local loky processes). ``run_tasks``
runs one function per item through whatever joblib backend is active, keeping the item order and
isolating an item whose worker process dies. ``cluster_info`` says what a scheduler holds.

Data reach the workers as PATHS: every worker must see the audio files (and the feature cache
folder) at the same path as the machine that submits the work, i.e. on a shared file system.
A worker that cannot read a file reports it for that clip (see core.features.study).
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from core import config

T = TypeVar("T")

#: Seconds to wait for a scheduler to answer (the CLI's error comes within 10 s).
CONNECT_TIMEOUT_S: float = 5.0
#: Seconds to wait for the first worker to take a task before giving up.
WORKER_TIMEOUT_S: float = 10.0
#: Seconds a joblib call waits for workers to come back (a nanny restarting dead workers).
RESTART_TIMEOUT_S: float = 120.0
#: Seconds the app's sidebar waits for a scheduler (it runs on every rerun).
INFO_TIMEOUT_S: float = 2.0
#: Value of --scheduler that forces local processes even when GENRELAB_SCHEDULER is set.
LOCAL = "local"
BACKEND_NAME = "genrelab-dask"
_ADDRESS = re.compile(r"^(tcp|tls|ws|wss)://[^\s/:]+:\d{1,5}$")


class ClusterError(RuntimeError):
    """A Dask scheduler that cannot be reached or used; the message says what to check."""


def resolve(address: str | None) -> str | None:
    """The scheduler to use: address if given ("local": none), else GENRELAB_SCHEDULER / setting."""
    if address is None:
        address = config.scheduler_address()
    address = (address or "").strip()
    if not address or address == LOCAL:
        return None
    return check_address(address)


def check_address(address: str) -> str:
    """address if it looks like tcp://HOST:PORT (or tls/ws/wss); ClusterError otherwise."""
    if not _ADDRESS.match(address):
        raise ClusterError(f"scheduler address {address!r} is not of the form tcp://HOST:PORT "
                           "(e.g. tcp://10.0.0.5:8786, as `dask scheduler` prints it)")
    return address


def connect(address: str, timeout: float | None = None) -> Any:
    """A distributed.Client on the scheduler at address; ClusterError if none answers in timeout s.
    timeout None: CONNECT_TIMEOUT_S.
    """
    check_address(address)
    timeout = CONNECT_TIMEOUT_S if timeout is None else timeout
    try:
        from distributed import Client
    except ImportError as error:  # pragma: no cover - distributed is in requirements.txt
        raise ClusterError(f"running on a Dask cluster needs the distributed package ({error})")
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise ClusterError(f"no Dask scheduler answers at {address} within {timeout:g} s "
                           f"({error}); start one with `dask scheduler` or check the address "
                           "(leave --scheduler and GENRELAB_SCHEDULER unset to run locally)"
                           ) from None


def _probe() -> str:
    """Run on a worker: its address (proves the worker can import GenreLab's core package)."""
    return worker_address() or "?"


def check_workers(client: Any, timeout: float = WORKER_TIMEOUT_S) -> None:
    """ClusterError unless a worker runs a GenreLab task within timeout s."""
    address = client.scheduler.address
    future = client.submit(_probe, pure=False)
    try:
        future.result(timeout=timeout)
    except TimeoutError:
        raise ClusterError(f"the Dask scheduler at {address} gave no worker within {timeout:g} s; "
                           f"start workers with `PYTHONPATH=/path/to/genrelab dask worker "
                           f"{address}` (a worker that cannot import GenreLab's core package "
                           "closes when it gets a task: see its log)") from None
    except Exception as error:  # noqa: BLE001 - every failure of the probe becomes one message
        missing = _import_error(error)
        if missing is None:
            raise ClusterError(f"the workers of {address} cannot run a GenreLab task "
                               f"({type(error).__name__}: {error})") from error
        raise ClusterError(
            f"the scheduler or workers of {address} cannot import GenreLab's core package "
            f"({missing}); start them from a GenreLab checkout of the same version, e.g. "
            "`cd /path/to/genrelab && PYTHONPATH=$PWD dask scheduler` and "
            f"`... PYTHONPATH=$PWD dask worker {address}`") from None
    finally:
        future.release()


def _import_error(error: BaseException | None) -> ImportError | None:
    """The ImportError behind error (itself, or a cause or context of it), if any."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, ImportError):
            return error
        error, seen = error.__cause__ or error.__context__, seen + 1
    return None


@dataclass(frozen=True)
class _Failed:
    """A task the scheduler failed (e.g. KilledWorker), as handed to joblib's result callback."""
    error: BaseException


def _backend_class() -> type:
    """joblib's Dask backend with two fixes (joblib 1.6; see each method)."""
    import asyncio

    from joblib._dask import DaskDistributedBackend

    class ClusterBackend(DaskDistributedBackend):
        """DaskDistributedBackend that always dispatches, and reports scheduler-side failures."""
        def effective_n_jobs(self, n_jobs: int | None) -> int:
            """Cores of the cluster, at least 2: for 1, joblib would run the work in-process."""
            return max(2, super().effective_n_jobs(n_jobs))

        async def _collect(self) -> None:
            """joblib's result loop, also passing failed tasks to joblib's callback.
            Errors raised by the function come back as values; but a task the scheduler fails
            (KilledWorker: its workers died) was only set on a future nobody waits for, and
            Parallel waited forever. Here joblib's callback gets it and Parallel raises it.
            """
            while self._continue:
                async for future, result in self.waiting_futures:
                    cf_future = self._results.pop(future)
                    callback = self._callbacks.pop(future)
                    if future.status == "error":
                        error = result[1]
                        cf_future.set_exception(error)
                        callback(_Failed(error))
                    else:
                        cf_future.set_result(result)
                        callback(result)
                await asyncio.sleep(0.01)

        def retrieve_result_callback(self, out: Any) -> Any:
            """The task's result; raises the error of a task the scheduler failed."""
            if isinstance(out, _Failed):
                raise out.error
            return super().retrieve_result_callback(out)

    return ClusterBackend


_ACTIVE: list[tuple[str, Any]] = []   #: (address, client) of the open joblib_backend blocks


@contextlib.contextmanager
def joblib_backend(address: str | None) -> Iterator[Any]:
    """Within the block joblib runs on the Dask cluster at address (yields the Client).
    address None: nothing changes (local processes; yields None). Connects first, so a scheduler
    that does not answer raises ClusterError before any work starts. Nested blocks for the same
    address share one connection.
    """
    if address is None:
        yield None
        return
    if _ACTIVE and _ACTIVE[-1][0] == address:
        yield _ACTIVE[-1][1]
        return
    from joblib import parallel_config, register_parallel_backend

    client = connect(address)
    try:
        check_workers(client)
        register_parallel_backend(BACKEND_NAME, _backend_class())
        _ACTIVE.append((address, client))
        try:
            with parallel_config(backend=BACKEND_NAME, client=client,
                                 wait_for_workers_timeout=RESTART_TIMEOUT_S):
                yield client
        finally:
            _ACTIVE.pop()
    finally:
        client.close()


def active_address() -> str | None:
    """Address of the cluster the innermost joblib_backend block runs on (None: local)."""
    return _ACTIVE[-1][0] if _ACTIVE else None


def worker_address() -> str | None:
    """Address of the Dask worker this code runs in; None outside a Dask worker."""
    if "distributed" not in sys.modules:
        return None
    from distributed import get_worker

    try:
        return str(get_worker().address)
    except ValueError:
        return None


# --- running many tasks ---------------------------------------------------------------------


def _worker_lost_errors() -> tuple[type[BaseException], ...]:
    """Exceptions meaning "the process running a task died" (loky, and Dask when loaded)."""
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    errors: list[type[BaseException]] = [TerminatedWorkerError]
    if "distributed" in sys.modules:
        from distributed.scheduler import KilledWorker

        errors.append(KilledWorker)
    return tuple(errors)


def _indexed(function: Callable[..., T], index: int, item: Any, args: tuple) -> tuple[int, T]:
    """(index, function(item, *args)): one task, tagged with its position."""
    return index, function(item, *args)


def _parallel(n_jobs: int) -> Any:
    """A joblib Parallel yielding results as they finish (or at the end, for backends that can't)."""
    from joblib import Parallel

    try:
        return Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    except ValueError as error:  # e.g. the multiprocessing backend cannot stream results
        if "return_as" not in str(error):
            raise
        return Parallel(n_jobs=n_jobs)


def run_tasks(function: Callable[..., T], items: Sequence[Any], lost: Callable[[Any, str], T], *,
              args: tuple = (), n_jobs: int = -1, desc: str = "tasks",
              progress: bool = False,
              on_progress: Callable[[int, int], None] | None = None) -> list[T]:
    """[function(item, *args) for item in items], run as joblib tasks on the active backend.
    Results keep the order of items. When the process running a task dies (a Dask worker: after
    the scheduler's own retries on other workers; a loky process: at once), the results already
    in are kept, and the items still open are run again in halves until the item whose process
    dies stands alone: its result is lost(item, reason). The function must be importable by the
    workers (a module-level function of GenreLab) and should return its own errors as values.
    on_progress(done, total) is called in the caller's thread as each result comes in.
    """
    from joblib import delayed
    from tqdm.auto import tqdm

    results: dict[int, T] = {}
    groups = [list(range(len(items)))]
    with tqdm(total=len(items), desc=desc, unit="clip", disable=not progress) as bar:
        while groups:
            group = groups.pop()
            try:
                tasks = (delayed(_indexed)(function, i, items[i], args) for i in group)
                for index, value in _parallel(n_jobs)(tasks):
                    results[index] = value
                    bar.update()
                    if on_progress is not None:
                        on_progress(len(results), len(items))
            except _worker_lost_errors() as error:
                left = [i for i in group if i not in results]
                if len(left) == 1:
                    reason = str(error).strip().split(". ")[0].rstrip(".")   # first sentence
                    results[left[0]] = lost(items[left[0]], f"its worker process died while "
                                                            f"running it ({type(error).__name__}"
                                                            f"{': ' + reason if reason else ''})")
                    bar.update()
                    if on_progress is not None:
                        on_progress(len(results), len(items))
                elif left:
                    half = len(left) // 2
                    groups += [left[half:], left[:half]]   # the first half runs next
    return [results[i] for i in range(len(items))]


# --- what a cluster holds --------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterInfo:
    """What a scheduler reports: workers, cores (threads), memory, dashboard; or why it can't."""
    address: str
    workers: int = 0
    cores: int = 0
    memory_bytes: int = 0
    dashboard: str | None = None   #: URL of the scheduler's dashboard (None when it has none)
    error: str | None = None       #: why the scheduler could not be asked (None when it answered)


def cluster_info(address: str, timeout: float = INFO_TIMEOUT_S) -> ClusterInfo:
    """Workers, cores and dashboard link of the scheduler at address (error set if unreachable)."""
    try:
        client = connect(address, timeout=timeout)
    except ClusterError as error:
        return ClusterInfo(address, error=str(error))
    try:
        info = client.scheduler_info(n_workers=-1)
        workers = info.get("workers", {})
        services = info.get("services", {})
        return ClusterInfo(
            address, workers=len(workers),
            cores=int(sum(w.get("nthreads", 0) for w in workers.values())),
            memory_bytes=int(sum(w.get("memory_limit", 0) or 0 for w in workers.values())),
            dashboard=client.dashboard_link if "dashboard" in services else None)
    finally:
        client.close()
