# SPDX-License-Identifier: GPL-3.0-or-later
"""The counter's camera: frames from Qt Multimedia, taken on a thread of their own.

Qt Multimedia (QtMultimedia in the PySide6-Addons wheel) gives the camera on Windows and Linux through
one API, with its FFmpeg backend in the wheel. An install without it still runs: `camera_support()` is
False and the enrolment offers the file chooser alone, saying why.

Threading: a `CameraFeed` (UI thread) owns a QThread on which a `_Grabber` opens the camera, receives
its frames, converts up to PREVIEW_FPS of them a second to QImages and scales them for the preview, and
converts the newest one whole on a capture. The UI thread only paints the newest preview: at most one
preview is queued for it at a time, so a slow moment on the UI thread skips frames instead of piling
them up. Opening and closing the camera (which can take a while on some drivers) also
happen there; `stop()` waits for the close, so the device is released when the dialog is gone.

Where frames come from is a `FrameSource`: a camera device, or a video file played in a loop (the tests:
no camera exists on the test machines). Both feed the same QVideoSink into the same frame handler, so
the tests run the code a camera runs.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QMetaObject, QObject, Qt, QThread, QUrl, Signal, Slot
from PySide6.QtGui import QImage

log = logging.getLogger(__name__)

AV_LOG_ERROR = 16
# Qt's FFmpeg (7.1 in the pinned 6.11.3 wheels), found by its name among the libraries already loaded
AVUTIL = "avutil-59.dll" if sys.platform == "win32" else "libavutil.so.59"
RTLD_NOLOAD = 4  # glibc: only a library already loaded; never load a second FFmpeg (nor on Windows)
PREVIEW_FPS = 20  # enough for a live picture to look live
PREVIEW_WIDTH = 640  # px: the preview is painted at most this wide; the capture keeps the full frame
WANTED_PIXELS = 1280 * 720  # enough for a 480 px face crop; bigger formats only cost the CPU


@dataclass(frozen=True, slots=True)
class FrameSource:
    """A camera device (a QCameraDevice) or a video file played in a loop."""

    name: str
    device: Any = None
    video: Path | None = None


@functools.cache
def _multimedia() -> ModuleType | None:
    """Qt Multimedia, imported when the camera is first wanted (not at start-up: ~25 ms), or None in an
    install without the PySide6-Addons wheel."""
    try:
        from PySide6 import QtMultimedia
    except ImportError:
        return None
    return QtMultimedia


def camera_support() -> bool:
    """Whether this install has Qt Multimedia at all."""
    return _multimedia() is not None


def default_camera() -> FrameSource | None:
    """The system's default camera, or None when there is none (or no Qt Multimedia)."""
    multimedia = _multimedia()
    if multimedia is None:
        return None
    device = multimedia.QMediaDevices.defaultVideoInput()
    if device.isNull():
        return None
    return FrameSource(name=device.description(), device=device)


@functools.cache
def _quiet_ffmpeg() -> None:
    """FFmpeg's own log at errors only. At its default it prints a warning for every frame of a
    motion-JPEG camera (most USB webcams at 720p) to stderr: 30 lines a second in the terminal's log.
    Best effort: with another FFmpeg, or none found, its messages simply stay as they are."""
    try:
        if sys.platform == "win32":
            if not ctypes.windll.kernel32.GetModuleHandleW(AVUTIL):  # loaded already, or left alone
                raise OSError(f"{AVUTIL} is not loaded")
            library = ctypes.CDLL(AVUTIL)
        else:
            library = ctypes.CDLL(AVUTIL, mode=RTLD_NOLOAD)
        library.av_log_set_level(AV_LOG_ERROR)
    except (OSError, AttributeError) as error:
        log.debug("FFmpeg's log level left as it is: %s", error)


def video_file(path: Path) -> FrameSource:
    """Frames from a video file instead of a camera, through the same handler."""
    return FrameSource(name=path.name, video=path)


def pick_size(sizes: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The largest frame size up to WANTED_PIXELS, else the smallest one there is."""
    fitting = [size for size in sizes if size[0] * size[1] <= WANTED_PIXELS]
    if fitting:
        return max(fitting, key=lambda size: size[0] * size[1])
    return min(sizes, key=lambda size: size[0] * size[1]) if sizes else None


class _Grabber(QObject):
    """Lives on the camera thread: opens the source, turns frames into images, closes the source."""

    ready = Signal()  # a new preview is waiting in `take_preview`
    captured = Signal(QImage)  # the full frame at the moment of `capture`
    failed = Signal(str)  # what went wrong, in Qt's words (for the log; the window says it plainly)

    def __init__(self, source: FrameSource) -> None:
        super().__init__()
        self._source = source
        self._objects: list[QObject] = []  # made and deleted on the camera thread
        self._latest: Any = None  # the newest QVideoFrame
        self._previewed_at = float("-inf")
        self._lock = threading.Lock()
        self._preview: QImage | None = None
        self._unread = False

    @Slot()
    def open(self) -> None:
        sink = _multimedia().QVideoSink(self)
        sink.videoFrameChanged.connect(self.on_frame)
        if self._source.video is not None:
            self._objects = [sink, *self._play(sink, self._source.video)]
        else:
            self._objects = [sink, *self._start_camera(sink, self._source.device)]

    def _play(self, sink: QObject, path: Path) -> list[QObject]:
        multimedia = _multimedia()
        player = multimedia.QMediaPlayer(self)
        _quiet_ffmpeg()  # FFmpeg is loaded by now: Qt's backend opens it with the first player or camera
        player.setVideoSink(sink)
        player.setLoops(multimedia.QMediaPlayer.Loops.Infinite)
        player.errorOccurred.connect(lambda _error, text: self.failed.emit(text))
        player.setSource(QUrl.fromLocalFile(str(path)))
        player.play()
        return [player]

    def _start_camera(self, sink: QObject, device: Any) -> list[QObject]:
        multimedia = _multimedia()
        camera = multimedia.QCamera(device, self)
        _quiet_ffmpeg()
        formats = {(f.resolution().width(), f.resolution().height()): f for f in device.videoFormats()}
        size = pick_size(list(formats))
        if size is not None:
            camera.setCameraFormat(formats[size])
        camera.errorOccurred.connect(lambda _error, text: self.failed.emit(text))
        session = multimedia.QMediaCaptureSession(self)
        session.setCamera(camera)
        session.setVideoSink(sink)
        camera.start()
        return [camera, session]

    def on_frame(self, frame: Any) -> None:
        """Every frame, from a camera or a file: kept as it came for a capture (a QVideoFrame is shared,
        not copied), converted and scaled for the preview at most PREVIEW_FPS times a second (a 720p
        conversion costs a few ms of a till's modest CPU)."""
        if not frame.isValid():
            return
        self._latest = frame
        now = time.monotonic()
        if now - self._previewed_at < 1 / PREVIEW_FPS:
            return
        image = frame.toImage()
        if image.isNull():
            return
        self._previewed_at = now
        preview = image
        if image.width() > PREVIEW_WIDTH:
            preview = image.scaledToWidth(PREVIEW_WIDTH, Qt.TransformationMode.FastTransformation)
        with self._lock:
            self._preview = preview
            unread, self._unread = self._unread, True
        if not unread:
            self.ready.emit()

    def take_preview(self) -> QImage | None:
        """The newest preview (any thread); the next frame then signals `ready` again."""
        with self._lock:
            preview, self._preview, self._unread = self._preview, None, False
        return preview

    @Slot()
    def capture(self) -> None:
        image = self._latest.toImage() if self._latest is not None else QImage()
        if not image.isNull():
            self.captured.emit(image)

    @Slot()
    def close(self) -> None:
        """Stop the camera (or the player) and delete what `open` made, here on its own thread."""
        for thing in self._objects:
            stop = getattr(thing, "stop", None)
            if stop is not None:
                stop()
        for thing in reversed(self._objects):
            if shiboken6.isValid(thing):
                shiboken6.delete(thing)
        self._objects = []
        self._latest = None


class CameraFeed(QObject):
    """A running camera for the UI thread: `frame` with each new preview, `capture()` → `captured`."""

    frame = Signal(QImage)
    captured = Signal(QImage)
    failed = Signal(str)

    def __init__(self, source: FrameSource, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self._thread = QThread(self)
        self._thread.setObjectName("bashgah-camera")
        self._grabber = _Grabber(source)
        self._grabber.moveToThread(self._thread)
        self._thread.started.connect(self._grabber.open)
        # bound methods of this UI-thread object: Qt queues the grabber's signals onto the UI thread
        self._grabber.ready.connect(self._on_ready)
        self._grabber.captured.connect(self._on_captured)
        self._grabber.failed.connect(self._on_failed)
        self._running = False
        app = QCoreApplication.instance()
        if app is not None:  # quitting with the camera's window open: the thread must end before Qt's
            app.aboutToQuit.connect(self.stop)

    def start(self) -> None:
        if not self._running and camera_support():
            self._running = True
            self._thread.start()

    def running(self) -> bool:
        return self._running

    def capture(self) -> None:
        if self._running:
            QMetaObject.invokeMethod(self._grabber, "capture", Qt.ConnectionType.QueuedConnection)

    def stop(self) -> None:
        """Close the camera and end its thread; returns when the device is released."""
        if not self._running:
            return
        self._running = False
        QMetaObject.invokeMethod(self._grabber, "close", Qt.ConnectionType.BlockingQueuedConnection)
        self._thread.quit()
        self._thread.wait()

    def _on_ready(self) -> None:
        preview = self._grabber.take_preview()
        if self._running and preview is not None:
            self.frame.emit(preview)

    def _on_captured(self, image: QImage) -> None:
        if self._running:
            self.captured.emit(image)

    def _on_failed(self, text: str) -> None:
        log.warning("camera %s: %s", self.source.name, text)
        if self._running:
            self.failed.emit(text)
