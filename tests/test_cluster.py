"""Dask cluster: same features as the local path, unreachable scheduler, dying workers, cache."""

from __future__ import annotations

import multiprocessing
import os
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from core import cli, cluster, config
from core.features import study
from core.training import config as train_config, jobs as training_jobs, runner
from core.constants import SAMPLE_RATE
from core.data.gtzan import Track, list_tracks
from tests.cache_writer import VALUES, hammer
from tests.conftest import write_gtzan

distributed = pytest.importorskip("distributed")


def _music(seconds: float, seed: int, base: float) -> np.ndarray:
    """A short synthetic clip: harmonics with a beat and light noise, peak 0.9."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    y = sum(np.sin(2 * np.pi * base * k * t + rng.uniform(0, 6)) / k for k in range(1, 4))
    y = y * (0.6 + 0.4 * np.sin(2 * np.pi * 2.0 * t) ** 2) + 0.05 * rng.standard_normal(t.size)
    return (0.9 * y / np.max(np.abs(y))).astype(np.float32)


class DyingTrack(Track):
    """A Track whose path kills any process but the test's own that reads it.

    With a marker file it kills only the first such process (the marker is created then), so a
    retry elsewhere succeeds; without one it kills every process that tries.
    """

    def __getattribute__(self, name: str):
        if name == "path":
            state = object.__getattribute__(self, "__dict__")
            if os.getpid() != state["home_pid"]:
                marker = state.get("marker")
                if marker is None:
                    os._exit(3)
                try:
                    os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                    os._exit(3)
                except FileExistsError:
                    pass
        return object.__getattribute__(self, name)


def _dying(track: Track, marker: Path | None) -> DyingTrack:
    """A copy of track that kills its worker (once when marker is given, else always)."""
    dying = DyingTrack(track.track_id, track.genre, track.path)
    object.__setattr__(dying, "home_pid", os.getpid())
    object.__setattr__(dying, "marker", str(marker) if marker else None)
    return dying


def all_workers(address: str, n: int = 2) -> None:
    """Wait until the cluster has its n workers again (a nanny restarts a killed one slowly on a
    loaded machine)."""
    with distributed.Client(address, timeout=60) as client:
        client.wait_for_workers(n, timeout=180)


@pytest.fixture(scope="module")
def scheduler() -> str:
    """Address of a real LocalCluster: 2 worker processes, 1 thread each, 1 retry per lost task."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=40)
    try:
        local.wait_for_workers(2, timeout=120)  # a loaded machine starts them slowly
        yield local.scheduler_address
    finally:
        local.close()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Track]:
    """Four short synthesised clips in a GTZAN folder."""
    root = write_gtzan(tmp_path_factory.mktemp("clips"), {
        "blues.00000": _music(6.5, 1, 110.0), "blues.00001": _music(3.5, 2, 147.0),
        "rock.00000": _music(7.0, 3, 330.0), "rock.00001": _music(4.0, 4, 392.0)})
    return list_tracks(root)


def _extract(tracks: list[Track], **kwargs: object) -> study.FeatureSet:
    """extract_tracks quietly."""
    return study.extract_tracks(tracks, progress=False, **kwargs)  # type: ignore[arg-type]


def _assert_same(a: study.FeatureSet, b: study.FeatureSet, exact: bool = True) -> None:
    """Same tracks, segments and features (bit for bit when exact)."""
    assert list(a.track_ids) == list(b.track_ids) and a.skipped == b.skipped
    assert list(a.segment_track) == list(b.segment_track)
    for kind in a.kinds:
        if exact:
            np.testing.assert_array_equal(a[kind], b[kind], err_msg=kind)
        else:  # the calling process may use more BLAS threads than a 1-thread worker
            np.testing.assert_allclose(a[kind], b[kind], rtol=1e-5, atol=1e-3, err_msg=kind)


def test_cluster_extracts_the_same_features_as_local_processes(
        scheduler: str, clips: list[Track]) -> None:
    local = _extract(clips, n_jobs=2, cache=False)
    with cluster.joblib_backend(scheduler) as client:
        assert client is not None and cluster.active_address() == scheduler
        remote = _extract(clips, cache=False)
        cached = _extract(clips, cache=True)         # the workers write the cache ...
    assert cluster.active_address() is None
    _assert_same(remote, local)
    _assert_same(cached, local)
    again = _extract(clips, n_jobs=1, cache=True)    # ... and the local path reads it, same keys
    assert again.cache_hits == len(clips)
    _assert_same(again, local)
    _assert_same(_extract(clips, n_jobs=1, cache=False), local, exact=False)


def test_worker_that_cannot_read_a_path_is_named_per_clip(
        scheduler: str, clips: list[Track], tmp_path: Path) -> None:
    missing = Track("jazz.00000", "jazz", tmp_path / "not-shared" / "jazz.00000.wav")
    with cluster.joblib_backend(scheduler):
        fs = _extract([clips[0], missing], kinds=["zcr"])
    assert list(fs.track_ids) == [clips[0].track_id]
    (name, reason), = fs.skipped
    assert name == "jazz.00000" and "Dask worker tcp://" in reason
    assert "shared file system" in reason and "No such file" in reason


def test_worker_dying_mid_extraction_is_retried(
        scheduler: str, clips: list[Track], tmp_path: Path) -> None:
    tracks = [clips[0], _dying(clips[1], tmp_path / "died-once"), *clips[2:]]
    with cluster.joblib_backend(scheduler):
        fs = _extract(tracks, kinds=["zcr", "mfcc_stats"], cache=False)
    assert (tmp_path / "died-once").exists()         # a worker did die on it
    _assert_same(fs, _extract(clips, kinds=["zcr", "mfcc_stats"], n_jobs=2, cache=False))


def test_clip_that_always_kills_its_worker_is_reported_and_the_rest_kept(
        scheduler: str, clips: list[Track]) -> None:
    tracks = [_dying(clips[0], None), clips[1], clips[2]]
    with cluster.joblib_backend(scheduler):
        fs = _extract(tracks, kinds=["zcr"], cache=True)
    (name, reason), = fs.skipped
    assert name == clips[0].track_id and "worker process died" in reason
    assert "KilledWorker" in reason
    assert list(fs.track_ids) == [clips[1].track_id, clips[2].track_id]
    kept = _extract(clips[1:3], kinds=["zcr"], n_jobs=1, cache=True)
    assert kept.cache_hits == 2                       # the clips done were cached, not lost
    np.testing.assert_array_equal(fs["zcr"], kept["zcr"])


def test_local_process_dying_is_reported_by_clip(clips: list[Track]) -> None:
    tracks = [clips[0], _dying(clips[1], None), clips[2]]
    fs = _extract(tracks, kinds=["zcr"], n_jobs=2, cache=False)
    assert fs.skipped[0][0] == clips[1].track_id and "TerminatedWorkerError" in fs.skipped[0][1]
    assert list(fs.track_ids) == [clips[0].track_id, clips[2].track_id]


def test_grid_search_on_the_cluster_chooses_the_same(scheduler: str) -> None:
    from core.models.baselines import fit_classifier

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 24)
    X = rng.normal(size=(72, 5)) + y[:, None] * 0.7
    groups = np.array([f"t{i // 4}" for i in range(72)])
    local = fit_classifier("svm", X, y, groups)
    with cluster.joblib_backend(scheduler):
        remote = fit_classifier("svm", X, y, groups)
    assert remote.best_params == local.best_params and remote.cv_accuracy == local.cv_accuracy
    np.testing.assert_array_equal(remote.model.predict_proba(X), local.model.predict_proba(X))


def test_cluster_info_counts_workers_and_cores(scheduler: str) -> None:
    all_workers(scheduler)
    info = cluster.cluster_info(scheduler)
    assert info.error is None and info.address == scheduler
    assert info.workers == 2 and info.cores == 2 and info.memory_bytes > 0


def _closed_port() -> str:
    """tcp://127.0.0.1:PORT where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"tcp://127.0.0.1:{port}"


def test_unreachable_scheduler_is_a_clear_error_in_time(
        capsys: pytest.CaptureFixture[str], clips: list[Track]) -> None:
    address = _closed_port()
    info = cluster.cluster_info(address, timeout=0.5)
    assert info.workers == 0 and "no Dask scheduler answers at " + address in str(info.error)
    assert cluster.CONNECT_TIMEOUT_S < 10
    outcome: list[int] = []
    data = str(clips[0].path.parents[1])
    worker = threading.Thread(target=lambda: outcome.append(cli.main(
        ["extract", "--data", data, "--quiet", "--scheduler", address])), daemon=True)
    worker.start()
    worker.join(timeout=10)           # the error comes within 10 s, it does not hang
    assert outcome == [1]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: no Dask scheduler answers at " + address)
    assert not study.features_cache_dir().exists()   # nothing was extracted or written


def test_training_against_an_unreachable_scheduler_writes_no_run(
        clips: list[Track], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1.0)
    conf = train_config.TrainConfig(model="svm", feature="zcr", scheduler=_closed_port(),
                                data_path=str(clips[0].path.parents[1]))
    with pytest.raises(cluster.ClusterError, match="no Dask scheduler answers"):
        runner.run_training(conf)
    assert not config.runs_dir().exists() or not any(config.runs_dir().iterdir())


@pytest.mark.parametrize("address", ["localhost:8786", "http://host:8786", "tcp://host", "tcp:// x:1"])
def test_malformed_address_is_refused(address: str) -> None:
    with pytest.raises(cluster.ClusterError, match="not of the form tcp://HOST:PORT"):
        cluster.resolve(address)


def test_scheduler_setting_env_and_local(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cluster.resolve(None) is None and config.scheduler_address() is None
    config.save_setting("scheduler", "tcp://10.0.0.5:8786")
    assert cluster.resolve(None) == "tcp://10.0.0.5:8786"
    monkeypatch.setenv(config.ENV_SCHEDULER, "tcp://127.0.0.1:8786")
    assert cluster.resolve(None) == "tcp://127.0.0.1:8786"
    assert cluster.resolve("local") is None
    assert cluster.resolve("tcp://h:1") == "tcp://h:1"


def test_job_started_from_the_app_records_the_scheduler(
        monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[list[str]] = []

    class FakeChild:
        pid = 999999

        def __init__(self, args: list[str], **kwargs: object) -> None:
            started.append(args)

        def wait(self) -> int:   # start_job reaps its child when it ends
            return 0

    monkeypatch.setattr(training_jobs.subprocess, "Popen", FakeChild)
    monkeypatch.setenv(config.ENV_SCHEDULER, "tcp://10.1.2.3:8786")
    job = training_jobs.start_job(train_config.TrainConfig(model="svm", feature="zcr"))
    saved = training_jobs._read_json(training_jobs.job_dir(job) / "config.json")["config"]
    assert saved["scheduler"] == "tcp://10.1.2.3:8786" and started
    monkeypatch.delenv(config.ENV_SCHEDULER)
    job = training_jobs.start_job(train_config.TrainConfig(model="svm", feature="zcr"))
    assert training_jobs._read_json(training_jobs.job_dir(job) / "config.json")["config"]["scheduler"] \
        == "local"


# --- the cache under concurrent writers ------------------------------------------------------


def test_cache_stays_whole_under_concurrent_writers(tmp_path: Path) -> None:
    path = tmp_path / "features" / "abc_def.npz"
    kinds = ("zcr", "extras", "mfcc_stats")
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=hammer, args=(str(path), k, 30)) for k in kinds]
    for w in writers:
        w.start()
    seen: set[str] = set()
    while any(w.is_alive() for w in writers):
        existed = path.exists()               # once written, the file is never missing or torn
        held = study._load_cached(path)
        if existed:
            assert held, "a reader found a torn cache file"
        for kind, array in held.items():    # every kind holds exactly what its writer wrote
            assert array.shape == (2,) + study.FEATURE_SHAPES[kind]
            assert np.all(array == VALUES[kind])
            seen.add(kind)
    assert all(w.exitcode == 0 for w in writers)
    assert study._load_cached(path) and not list(path.parent.glob("*.tmp"))
    assert len(seen) >= 2                     # writers of different kinds did share the file


# --- the app's sidebar ----------------------------------------------------------------------


@pytest.mark.usefixtures("navigation_pages", "app_env")
def test_sidebar_shows_the_cluster(scheduler: str, monkeypatch: pytest.MonkeyPatch) -> None:
    all_workers(scheduler)
    from streamlit.testing.v1 import AppTest

    from tests.app_support import APP, _texts

    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception and "Dask cluster" not in _texts(at.sidebar.markdown)
    monkeypatch.setenv(config.ENV_SCHEDULER, scheduler)
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception
    markdown = _texts(at.sidebar.markdown)
    assert "Dask cluster" in markdown and "**2** workers, **2** cores" in markdown
    assert scheduler in _texts(at.sidebar.caption)


@pytest.mark.usefixtures("navigation_pages", "app_env")
def test_sidebar_says_when_the_cluster_cannot_be_reached(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.app_support import APP, _texts

    address = _closed_port()
    monkeypatch.setenv(config.ENV_SCHEDULER, address)
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception
    assert "The cluster cannot be reached: no Dask scheduler answers at " + address \
        in _texts(at.sidebar.error)


def test_musicnn_embeddings_on_the_cluster_equal_local(
        scheduler: str, clips: list[Track]) -> None:
    from core.models import musicnn_net

    local = musicnn_net.embed_tracks(clips[:1], n_jobs=1, progress=False, cache=False)
    with cluster.joblib_backend(scheduler):
        remote = musicnn_net.embed_tracks(clips[:1], n_jobs=1, progress=False, cache=False)
    assert list(remote.track_ids) == list(local.track_ids) and not remote.skipped
    for kind in ("max_pool", "penultimate", "taggram"):   # TF thread counts may differ
        np.testing.assert_allclose(remote[kind], local[kind], rtol=1e-5, atol=1e-5,
                                   err_msg=kind)   # float32 sums in another order
