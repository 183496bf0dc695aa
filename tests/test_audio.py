"""Decoding and pre-processing of audio."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from core.data import audio
from core.constants import SAMPLE_RATE, SEGMENT_SAMPLES
from tests.conftest import tone


def _wav_bytes(y: np.ndarray, sr: int, fmt: str = "WAV") -> bytes:
    """Encode samples as an audio file in memory."""
    buf = io.BytesIO()
    sf.write(buf, y, sr, format=fmt)
    return buf.getvalue()


def test_decode_resamples_stereo_to_mono_22050() -> None:
    left = tone(440, 2.0, sr=44100)
    stereo = np.stack([left, left], axis=1)
    y = audio.decode(_wav_bytes(stereo, 44100))
    assert y.dtype == np.float32
    assert abs(y.size - 2 * SAMPLE_RATE) <= 2


@pytest.mark.parametrize("fmt", ["FLAC", "OGG"])
def test_decode_other_formats(fmt: str) -> None:
    y = audio.decode(_wav_bytes(tone(220, 1.0), SAMPLE_RATE, fmt))
    assert abs(y.size - SAMPLE_RATE) < 100


def test_decode_garbage_says_why() -> None:
    with pytest.raises(audio.AudioError, match="not a readable audio file"):
        audio.decode(b"this is not audio at all" * 10, name="notes.txt")


def test_decode_missing_file(tmp_path) -> None:
    with pytest.raises(audio.AudioError, match="missing.wav: no such file"):
        audio.decode(tmp_path / "missing.wav")


def test_a_damaged_file_is_named_without_a_misleading_reason(tmp_path) -> None:
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 8)
    with pytest.raises(audio.AudioError) as caught:
        audio.decode(broken, name="broken.mp3")
    text = str(caught.value)
    assert text.startswith("broken.mp3: cannot be decoded: ")
    assert "not a valid audio stream" in text and "does not exist" not in text
    with pytest.raises(audio.AudioError, match="upload: not a readable audio file"):
        audio.decode(broken.read_bytes())


def test_a_truncated_file_says_what_each_decoder_found(tmp_path) -> None:
    stub = tmp_path / "x.wav"
    stub.write_bytes(b"junk")  # audioread's own reader raises a bare EOFError on it
    with pytest.raises(audio.AudioError) as caught:
        audio.decode(stub, name="x.wav")
    fallback = str(caught.value).rsplit("; ", 1)[1]
    assert fallback.startswith(("audioread: ", "no other decoder"))
    assert fallback.rstrip() not in ("audioread:", "")


def test_preprocess_normalises_trims_and_cleans() -> None:
    y = np.concatenate([np.zeros(SAMPLE_RATE, np.float32), tone(440, 4.0, amp=0.2),
                        np.zeros(SAMPLE_RATE, np.float32)])
    y[SAMPLE_RATE + 100] = np.nan
    out = audio.preprocess(y)
    assert np.all(np.isfinite(out))
    assert np.max(np.abs(out)) == pytest.approx(1.0)
    assert 3.9 * SAMPLE_RATE < out.size < 4.3 * SAMPLE_RATE  # the 2 s of silence are gone


def test_highpass_removes_dc_and_rumble() -> None:
    y = tone(10, 3.0, amp=0.5) + 0.3 + tone(1000, 3.0, amp=0.5)
    out = audio.highpass(y)[5000:]
    spectrum = np.abs(np.fft.rfft(out))
    freqs = np.fft.rfftfreq(out.size, 1 / SAMPLE_RATE)
    rumble = spectrum[(freqs > 8) & (freqs < 12)].max()
    music = spectrum[(freqs > 990) & (freqs < 1010)].max()
    assert 20 * np.log10(music / rumble) > 20  # 2nd order at 40 Hz: about 24 dB down at 10 Hz
    assert abs(out.mean()) < 0.01                 # DC gone
    assert np.std(out) == pytest.approx(np.std(tone(1000, 3.0, amp=0.5)), rel=0.05)


def test_silent_clip_is_refused() -> None:
    with pytest.raises(audio.AudioError, match="silent"):
        audio.preprocess(np.zeros(5 * SAMPLE_RATE, np.float32))


def test_short_clip_is_refused() -> None:
    with pytest.raises(audio.AudioError, match="at least 3 s"):
        audio.load_clip(_wav_bytes(tone(440, 1.0), SAMPLE_RATE))


def test_filter_switch_changes_output() -> None:
    y = tone(20, 4.0) + tone(800, 4.0, amp=0.2)
    on = audio.preprocess(y, filter_noise=True, trim=False)
    off = audio.preprocess(y, filter_noise=False, trim=False)
    assert not np.allclose(on, off)


def test_segment_cuts_three_second_pieces() -> None:
    y = np.arange(int(7.5 * SAMPLE_RATE), dtype=np.float32)
    segs = audio.segment(y)
    assert segs.shape == (2, SEGMENT_SAMPLES)
    assert segs[1, 0] == SEGMENT_SAMPLES
    assert audio.segment(np.zeros(31 * SAMPLE_RATE, np.float32), max_segments=10).shape[0] == 10
    with pytest.raises(audio.AudioError):
        audio.segment(np.zeros(SAMPLE_RATE, np.float32))


@pytest.mark.parametrize("n, lead, tail", [(SAMPLE_RATE * 4 + 17, 0.3, 0.2), (3000, 0.5, 0.0),
                                           (2048, 0.0, 0.4), (5000, 1.0, 0.0)])
def test_trim_and_frame_rms_equal_librosa(n: int, lead: float, tail: float) -> None:
    import librosa

    y = (0.1 * np.random.default_rng(n).standard_normal(n)).astype(np.float32)
    y[: int(lead * n)] = 0.0                      # silence before (all of it for lead 1.0)
    y[n - int(tail * n):] *= 1e-5                 # a tail 100 dB down
    expected = librosa.effects.trim(y, top_db=60, frame_length=2048, hop_length=512)[0]
    np.testing.assert_array_equal(audio.trim_silence(y), expected)
    np.testing.assert_array_equal(audio.frame_rms(y), librosa.feature.rms(y=y)[0])


def test_preprocess_does_not_import_librosa_core() -> None:
    import subprocess
    import sys

    code = ("import sys, numpy as np; from core.data.audio import preprocess; "
            "preprocess(np.sin(np.arange(80000) / 5.0).astype(np.float32)); "
            "print('librosa.core.pitch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"  # its numba code compiles for seconds when uncached


def test_a_long_file_is_decoded_on_its_first_part_only(monkeypatch) -> None:
    data = _wav_bytes(np.stack([tone(440, 5.0, sr=44100)] * 2, axis=1), 44100)
    y, excerpt = audio.decode_part(data, max_seconds=2.0)
    assert y.size == 2 * SAMPLE_RATE and str(excerpt) == "the first 0:02 of 0:05"
    whole, none = audio.decode_part(data)
    assert none is None and abs(whole.size - 5 * SAMPLE_RATE) <= 2
    np.testing.assert_allclose(whole[: 2 * SAMPLE_RATE - 100], y[: 2 * SAMPLE_RATE - 100], atol=1e-6)
    monkeypatch.setattr(audio, "MAX_CLIP_SECONDS", 3.0)
    assert audio.decode(data).size == 3 * SAMPLE_RATE
    assert str(audio.Excerpt(600.0, 3734.0)) == "the first 10:00 of 1:02:14"
