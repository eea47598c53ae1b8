# SPDX-License-Identifier: GPL-3.0-or-later
"""The enrolment's photo from the counter's camera, in Persian and in English, on a real store.

No camera exists on the test machines, so the camera's frames come from a motion-JPEG file played by
QMediaPlayer into the same QVideoSink and the same frame handler a QCamera feeds (app/ui/camera.py);
the "no camera" path is the real one: QMediaDevices finds no video input here.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from app.services.enroll import MAX_PHOTO_BYTES
from app.services.photos import portrait_box
from app.store import members
from app.ui.camera import (
    WANTED_PIXELS,
    FrameSource,
    _multimedia,
    camera_support,
    default_camera,
    pick_size,
    video_file,
)
from app.ui.context import UiContext
from app.ui.dialogs import camera as camera_module
from app.ui.dialogs.camera import CameraDialog
from app.ui.dialogs.enroll import EnrollDialog
from tests.support.components import missing_component
from tests.support.mjpeg_avi import jpeg_frames, write_mjpeg_avi
from tests.ui.conftest import Club


@pytest.fixture(autouse=True)
def _qt_multimedia() -> None:
    """Qt Multimedia is part of bashgah[terminal]: missing, these tests skip on a developer's machine and
    fail in CI (CI=true)."""
    if not camera_support():
        missing_component("Qt Multimedia", "PySide6-Addons is not installed: pip install 'bashgah[terminal]'")


SIZE = (320, 240)
GUIDE = portrait_box(*SIZE)
INSIDE, OUTSIDE = (40, 170, 60), (30, 40, 200)  # green inside the guide's square, blue outside it


def face_frames(count: int = 12) -> list[Image.Image]:
    """Blue around a green square exactly where the guide is, and a moving mark so frames differ."""
    frames = []
    for index in range(count):
        image = Image.new("RGB", SIZE, OUTSIDE)
        draw = ImageDraw.Draw(image)
        draw.rectangle((GUIDE[0], GUIDE[1], GUIDE[2] - 1, GUIDE[3] - 1), fill=INSIDE)
        x = GUIDE[0] + 60 + 6 * index
        draw.ellipse((x, GUIDE[1] + 40, x + 60, GUIDE[1] + 120), fill=(235, 200, 170))  # a "face"
        frames.append(image)
    return frames


@pytest.fixture(scope="module")
def face_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "face.avi"
    return write_mjpeg_avi(path, jpeg_frames(face_frames(), quality=90), SIZE, fps=25)


@pytest.fixture
def open_enroll(qtbot, ctx: UiContext) -> Iterator:
    opened: list[EnrollDialog] = []

    def make(source: FrameSource | None) -> EnrollDialog:
        dialog = EnrollDialog(ctx, camera=lambda: source)
        dialog.show()
        dialog.activateWindow()
        qtbot.waitUntil(dialog.name_edit.hasFocus)
        opened.append(dialog)
        return dialog

    yield make
    for dialog in opened:
        dialog.hide()  # closes a camera window still open: its thread must end before the test does
        qtbot.waitUntil(lambda: not ctx.tasks.busy())
        dialog.deleteLater()


def open_camera(qtbot, dialog: EnrollDialog, frames: int = 3) -> CameraDialog:
    """Click Camera… and wait until `frames` live frames were painted."""
    with qtbot.waitSignal(dialog.camera_opened) as opened:
        dialog.camera_button.click()
    camera: CameraDialog = opened.args[0]
    for _ in range(frames):
        with qtbot.waitSignal(camera.frame_shown, timeout=10_000):
            pass
    return camera


def key(qtbot, camera: CameraDialog, which: Qt.Key) -> None:
    qtbot.keyClick(camera.focusWidget() or camera, which)


def take_and_use(qtbot, dialog: EnrollDialog, camera: CameraDialog) -> bytes:
    key(qtbot, camera, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: camera.state == "still")
    with qtbot.waitSignal(dialog.photo_loaded):
        key(qtbot, camera, Qt.Key.Key_Return)
    assert dialog._photo is not None
    return dialog._photo


def enrol(qtbot, dialog: EnrollDialog) -> str:
    dialog.name_edit.setText("Sara Karimi")
    dialog.phone_edit.setText("09351112233")
    with qtbot.waitSignal(dialog.enrolled) as blocker:
        dialog.submit_button.click()
    return blocker.args[0].member.id


def stored_photo(club: Club, member_id: str) -> bytes | None:
    with club.terminal.db.read() as conn:
        return members.photo(conn, member_id)


def assert_released(qtbot, camera: CameraDialog) -> None:
    """The camera's thread has ended: the device (here the player) is closed."""
    assert not camera.feed.running()
    thread = camera.feed._thread
    # stop() joins the thread; once the closed dialog is deleted the thread object goes with it, which
    # Qt allows only for a thread that has finished
    assert not shiboken6.isValid(thread) or thread.isFinished()


# ---------------------------------------------------------------------------- the capture path


def test_the_camera_format_is_the_largest_up_to_hd() -> None:
    sizes = [(320, 240), (640, 480), (1280, 720), (1920, 1080), (3840, 2160)]
    assert pick_size(sizes) == (1280, 720)
    assert pick_size([(3840, 2160), (1920, 1080)]) == (1920, 1080)  # the smallest, when none fits
    assert pick_size([]) is None
    assert all(w * h <= WANTED_PIXELS for w, h in [pick_size(sizes[:k]) for k in range(1, 4)])


def test_the_preview_shows_the_cameras_frames_with_the_guide(
    qtbot, open_enroll, face_video: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    dialog = open_enroll(video_file(face_video))
    camera = open_camera(qtbot, dialog, frames=4)
    # FFmpeg's warning for each motion-JPEG frame (most webcams send those) stays out of the log
    assert "deprecated pixel format" not in capfd.readouterr().err

    assert camera.state == "live"
    image = camera.view.image()
    assert image is not None and (image.width(), image.height()) == SIZE
    assert camera.feed._thread.isRunning()  # frames are received and converted off the UI thread:
    assert camera.feed._grabber.thread() == camera.feed._thread != QApplication.instance().thread()
    # what is painted: the frame, shaded outside the guide's square, untouched inside it
    shot = camera.view.grab().toImage()
    scale = min(camera.view.width() / SIZE[0], camera.view.height() / SIZE[1])
    left = (camera.view.width() - SIZE[0] * scale) / 2
    top = (camera.view.height() - SIZE[1] * scale) / 2
    inside = shot.pixelColor(round(left + (GUIDE[0] + 20) * scale), round(top + (GUIDE[3] - 20) * scale))
    outside = shot.pixelColor(round(left + 10 * scale), round(top + SIZE[1] / 2 * scale))
    assert inside.green() > 140 and inside.blue() < 100
    assert outside.blue() < OUTSIDE[2] - 40  # shaded
    key(qtbot, camera, Qt.Key.Key_Escape)
    assert_released(qtbot, camera)


def test_a_photo_taken_is_cut_to_the_guide_and_saved_with_the_member(
    qtbot, open_enroll, face_video: Path, club: Club, lang: str
) -> None:
    dialog = open_enroll(video_file(face_video))
    camera = open_camera(qtbot, dialog)

    jpeg = take_and_use(qtbot, dialog, camera)

    assert not camera.isVisible()
    assert_released(qtbot, camera)
    assert not dialog.photo_preview.pixmap().isNull()
    assert dialog.photo_note.kind == "ok"
    member_id = enrol(qtbot, dialog)
    photo = stored_photo(club, member_id)
    assert photo == jpeg and photo[:3] == b"\xff\xd8\xff" and len(photo) <= MAX_PHOTO_BYTES
    with Image.open(io.BytesIO(photo)) as image:
        side = GUIDE[2] - GUIDE[0]
        assert image.size == (side, side)  # square, the guide's pixels, not blown up
        rgb = image.convert("RGB")
        for corner in ((2, 2), (side - 3, 2), (2, side - 3), (side - 3, side - 3)):
            red, green, blue = rgb.getpixel(corner)
            assert green > 130 and blue < 110, f"{corner} is outside the guide: {(red, green, blue)}"


def test_retake_goes_back_to_the_live_picture(qtbot, open_enroll, face_video: Path) -> None:
    dialog = open_enroll(video_file(face_video))
    camera = open_camera(qtbot, dialog)
    key(qtbot, camera, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: camera.state == "still")
    assert camera.use_button.isVisible() and camera.retake_button.isVisible()
    assert not camera.capture_button.isVisible()
    still = camera.view.image()

    key(qtbot, camera, Qt.Key.Key_Backspace)
    assert camera.state == "live"
    with qtbot.waitSignal(camera.frame_shown, timeout=10_000):
        pass
    assert camera.view.image() is not still  # frames are painted again
    assert dialog._photo is None  # nothing was kept

    take_and_use(qtbot, dialog, camera)
    assert dialog._photo is not None


def test_cancel_keeps_no_photo_and_releases_the_camera(
    qtbot, open_enroll, face_video: Path, club: Club
) -> None:
    dialog = open_enroll(video_file(face_video))
    camera = open_camera(qtbot, dialog)
    key(qtbot, camera, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: camera.state == "still")

    key(qtbot, camera, Qt.Key.Key_Escape)

    assert not camera.isVisible()
    assert_released(qtbot, camera)
    qtbot.waitUntil(lambda: dialog.camera_dialog is None)
    assert dialog._photo is None and dialog.photo_preview.pixmap().isNull()
    assert stored_photo(club, enrol(qtbot, dialog)) is None


def test_closing_the_form_releases_the_camera(qtbot, open_enroll, face_video: Path) -> None:
    dialog = open_enroll(video_file(face_video))
    camera = open_camera(qtbot, dialog, frames=1)
    dialog.hide()
    assert_released(qtbot, camera)


# ---------------------------------------------------------------------------- no camera


NO_CAMERA = {
    "fa": "دوربینی به این رایانه وصل نیست؛ عکس را از یک فایل انتخاب کنید.",
    "en": "No camera is connected to this computer: choose a photo file instead.",
}
NO_PICTURE = {
    "fa": "دوربین تصویری نمی‌فرستد؛ عکس را از یک فایل انتخاب کنید.",
    "en": "The camera sends no picture: choose a photo file instead.",
}
CAMERA_FAILED = {
    "fa": "دوربین روشن نشد؛ عکس را از یک فایل انتخاب کنید.",
    "en": "The camera could not be started: choose a photo file instead.",
}


@pytest.fixture
def chooser(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The system's file chooser answers with a real picture; the list records each time it opened."""
    path = tmp_path / "from-a-file.jpg"
    Image.new("RGB", (300, 400), (200, 120, 90)).save(path, "JPEG")
    asked: list[str] = []

    def choose(*_args: object, **_kw: object) -> tuple[str, str]:
        asked.append(str(path))
        return str(path), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(choose))
    return asked


def test_no_camera_offers_the_file_chooser_and_says_so(
    qtbot, ctx: UiContext, chooser: list[str], club: Club, lang: str
) -> None:
    if default_camera() is not None:
        pytest.skip("this machine has a camera; the no-camera path needs one without")
    dialog = EnrollDialog(ctx)  # the real lookup: QMediaDevices' default video input
    qtbot.addWidget(dialog)
    dialog.show()

    with qtbot.waitSignal(dialog.photo_loaded):
        dialog.camera_button.click()

    assert chooser, "the file chooser was not offered"
    assert dialog.camera_dialog is None
    assert dialog.camera_note.isVisible() and dialog.camera_note.text() == NO_CAMERA[lang]
    assert stored_photo(club, enrol(qtbot, dialog)) is not None
    qtbot.waitUntil(lambda: not ctx.tasks.busy())


def test_a_camera_that_fails_falls_back_to_the_file_chooser(
    qtbot, open_enroll, tmp_path: Path, chooser: list[str], lang: str
) -> None:
    dialog = open_enroll(video_file(tmp_path / "unplugged.avi"))  # the device refuses to open

    with qtbot.waitSignal(dialog.photo_loaded, timeout=10_000):
        dialog.camera_button.click()

    assert chooser
    assert dialog.camera_dialog is None
    assert dialog.camera_note.text() == CAMERA_FAILED[lang]


@pytest.fixture
def silent_camera(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FrameSource:
    """A source that opens but never sends a frame (a camera busy elsewhere does that)."""
    monkeypatch.setattr(camera_module, "NO_PICTURE_MS", 300)  # not a timing assertion: nothing ever comes
    silent = tmp_path / "silent.avi"
    silent.write_bytes(b"RIFF\x10\x00\x00\x00AVI opens, yet holds no frame")
    return video_file(silent)


def test_a_camera_that_sends_nothing_falls_back_to_the_file_chooser(
    qtbot, open_enroll, silent_camera: FrameSource, chooser: list[str], lang: str
) -> None:
    dialog = open_enroll(silent_camera)

    with qtbot.waitSignal(dialog.photo_loaded, timeout=10_000):
        dialog.camera_button.click()

    assert chooser
    assert dialog.camera_note.text() == NO_PICTURE[lang]


@pytest.fixture
def without_qt_multimedia(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process as an install without PySide6-Addons: importing QtMultimedia fails as it would there."""
    import sys

    import PySide6

    monkeypatch.delattr(PySide6, "QtMultimedia", raising=False)
    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", None)  # what a missing module looks like
    _multimedia.cache_clear()  # it remembers what it found
    yield
    _multimedia.cache_clear()


NO_SUPPORT = {
    "fa": "این نسخهٔ نصب‌شده نمی‌تواند از دوربین استفاده کند؛ عکس را از یک فایل انتخاب کنید.",
    "en": "This installation cannot use a camera: choose a photo file instead.",
}


@pytest.mark.usefixtures("without_qt_multimedia")
def test_an_install_without_qt_multimedia_offers_the_file_chooser(
    qtbot, open_enroll, face_video: Path, chooser: list[str], lang: str
) -> None:
    assert not camera_support()
    dialog = open_enroll(video_file(face_video))

    with qtbot.waitSignal(dialog.photo_loaded):
        dialog.camera_button.click()

    assert chooser and dialog.camera_dialog is None
    assert dialog.camera_note.text() == NO_SUPPORT[lang]
