# SPDX-License-Identifier: GPL-3.0-or-later
"""The door's verdict tones: one short, distinct sound per verdict colour (green, amber, red).

A host looks at the guest, not the screen; the tone says the verdict first. The tones are written with
the `wave` module into the data dir the first time they are needed (a few kilobytes, no files to ship),
and played by the best player this machine has, ranked like any backend here with a silent fallback:
QtMultimedia's QSoundEffect (PySide6-Addons, when installed), else on Windows `winsound`, elsewhere a
command-line player (PipeWire, PulseAudio, ALSA), else nothing. PySide6-Addons is not a dependency: it
would add ~175 MB to every install for three beeps that every desktop can already play. None of them
may fail or wait for a sound device: a terminal without
speakers (or a CI run offscreen) works the same, silently.

`SoundPlayer` is the whole interface: `play(tone)`. Tests give the door a recorder in its place.

UI thread only: players are made and asked to play there; the command player starts a process and never
waits for it.
"""

from __future__ import annotations

import contextlib
import io
import math
import shutil
import struct
import subprocess
import sys
import wave
from enum import StrEnum
from pathlib import Path
from typing import Protocol

RATE = 22_050
VOLUME = 0.45  # of full scale: audible in a hall, not startling at a quiet door
FADE_S = 0.008  # edges shaped so a note starts and stops without a click


class Tone(StrEnum):
    ADMIT = "admit"  # green: two rising notes, "come in"
    ATTENTION = "attention"  # amber: two equal notes, "look at the screen"
    REFUSED = "refused"  # red: a low falling buzz, "stop"


# (frequency Hz, seconds, harmonics) per note; 0 Hz is a pause. Harmonics make the red tone buzz.
_NOTES: dict[Tone, tuple[tuple[float, float, int], ...]] = {
    Tone.ADMIT: ((880.0, 0.11, 1), (0.0, 0.03, 1), (1318.5, 0.16, 1)),
    Tone.ATTENTION: ((659.3, 0.14, 2), (0.0, 0.09, 1), (659.3, 0.14, 2)),
    Tone.REFUSED: ((311.1, 0.22, 4), (233.1, 0.32, 4)),
}


def tone_wav(tone: Tone) -> bytes:
    """The tone as a WAV file (16-bit mono PCM)."""
    samples: list[int] = []
    for frequency, seconds, harmonics in _NOTES[tone]:
        count = int(RATE * seconds)
        fade = max(1, int(RATE * FADE_S))
        for i in range(count):
            if frequency == 0.0:
                samples.append(0)
                continue
            t = i / RATE
            value = sum(math.sin(2 * math.pi * frequency * k * t) / k for k in range(1, harmonics + 1))
            value /= sum(1 / k for k in range(1, harmonics + 1))
            envelope = min(1.0, i / fade, (count - 1 - i) / fade)
            samples.append(round(value * envelope * VOLUME * 32767))
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(RATE)
        file.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return out.getvalue()


def write_tones(folder: Path) -> dict[Tone, Path]:
    """Each tone's WAV file in `folder`, written when missing or different (a few kilobytes; run it on
    the worker: it is file I/O)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for tone in Tone:
        path = folder / f"door-{tone.value}.wav"
        data = tone_wav(tone)
        if not path.is_file() or path.read_bytes() != data:
            partial = path.with_suffix(".tmp")
            partial.write_bytes(data)
            partial.replace(path)
        paths[tone] = path
    return paths


class SoundPlayer(Protocol):
    def play(self, tone: Tone) -> None: ...


class SilentPlayer:
    """No sound device, no player: the verdict is on the screen only."""

    def play(self, tone: Tone) -> None:
        pass


class QtSoundPlayer:
    """QSoundEffect (QtMultimedia, in PySide6-Addons): low latency, made for short effects."""

    def __init__(self, files: dict[Tone, Path]) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtMultimedia import QSoundEffect

        self._effects = {}
        for tone, path in files.items():
            effect = QSoundEffect()
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setVolume(1.0)
            self._effects[tone] = effect

    def play(self, tone: Tone) -> None:
        for effect in self._effects.values():
            effect.stop()  # the next guest's verdict cuts the last one short
        self._effects[tone].play()


# command-line players, best first; each plays a WAV file given as its last argument
_COMMANDS = (("pw-play",), ("paplay",), ("aplay", "-q"))


class CommandPlayer:
    """A sound server's or ALSA's own player in a process of its own: started, never waited for."""

    def __init__(self, command: tuple[str, ...], files: dict[Tone, Path]) -> None:
        self._command = command
        self._files = files
        self._process: subprocess.Popen[bytes] | None = None

    def play(self, tone: Tone) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()  # the next guest cuts it short; Python reaps it as the next starts
        with contextlib.suppress(OSError):
            self._process = subprocess.Popen(
                [*self._command, str(self._files[tone])],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )


class WindowsPlayer:
    """Windows' own `winsound` (the standard library there): asynchronous, no device needed to ask."""

    def __init__(self, files: dict[Tone, Path]) -> None:
        import winsound  # type: ignore[import-not-found,unused-ignore]

        self._winsound = winsound
        self._files = files

    def play(self, tone: Tone) -> None:
        flags = self._winsound.SND_FILENAME | self._winsound.SND_ASYNC | self._winsound.SND_NODEFAULT
        with contextlib.suppress(RuntimeError):
            self._winsound.PlaySound(str(self._files[tone]), flags)


def make_player(files: dict[Tone, Path]) -> SoundPlayer:
    """The best player here for the tones `write_tones` wrote; silent when there is none."""
    try:
        return QtSoundPlayer(files)
    except (ImportError, RuntimeError):
        pass  # PySide6-Addons is not installed: try the system's own player
    if sys.platform == "win32":
        return WindowsPlayer(files)
    for command in _COMMANDS:
        if shutil.which(command[0]):
            return CommandPlayer(command, files)
    return SilentPlayer()
