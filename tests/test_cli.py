"""Tests for the command line, in-process through main() and once as a real process."""

from __future__ import annotations

import builtins
import os
import shutil
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorizer_app import __version__
from colorizer_app.cli import main
from colorizer_app.core import paths
from colorizer_app.core.imageio import load_photo

MODEL = "tiny-test"


def _gray(height: int, width: int, dtype=np.uint8) -> np.ndarray:
    """A gray gradient with a bright square, so the network has something to see."""
    peak = np.iinfo(dtype).max
    y, x = np.mgrid[0:height, 0:width]
    gray = (x + y) / (height + width) * 0.6 + 0.2
    gray[height // 4: height // 2, width // 4: width // 2] = 0.9
    return (gray * peak).round().astype(dtype)


@pytest.fixture
def installed_model(tiny_model_json) -> Path:
    """The tiny test model copied into the (per-test) user models folder."""
    folder = paths.user_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for source in (tiny_model_json, tiny_model_json.with_suffix(".safetensors")):
        shutil.copy(source, folder / source.name)
    return folder / tiny_model_json.name


@pytest.fixture
def album(tmp_path) -> Path:
    """album/ with a.jpg, old/b.png (16-bit), old/1931/c.tif and old/1931/broken.jpg."""
    root = tmp_path / "album"
    (root / "old" / "1931").mkdir(parents=True)
    Image.fromarray(_gray(40, 56)).save(root / "a.jpg", quality=95)
    Image.fromarray(_gray(36, 30, np.uint16)).save(root / "old" / "b.png")
    Image.fromarray(_gray(32, 48)).save(root / "old" / "1931" / "c.tif")
    (root / "old" / "1931" / "broken.jpg").write_bytes(b"not a photo at all")
    return root


def _colorize_args(*inputs: Path, out: Path, extra: tuple[str, ...] = ()) -> list[str]:
    """`colorize INPUTS -o OUT` with the tiny model, small render size, on the CPU."""
    return ["colorize", *map(str, inputs), "-o", str(out), "--model", MODEL,
            "--render-size", "64", "--device", "cpu", *extra]


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"colorizer {__version__}"


def test_no_arguments_starts_the_gui(monkeypatch):
    calls = []
    fake = types.ModuleType("colorizer_app.gui.app")
    fake.main = lambda argv=None: calls.append(argv) or 7
    monkeypatch.setitem(sys.modules, "colorizer_app.gui.app", fake)
    assert main([]) == 7
    assert calls == [[]]


def test_a_folder_or_photo_alone_opens_it_in_the_app(monkeypatch, tmp_path, capsys):
    """What "Open with Colorizer" and a photo dropped on the bundle's program run."""
    calls = []
    fake = types.ModuleType("colorizer_app.gui.app")
    fake.main = lambda argv=None: calls.append(argv) or 0
    monkeypatch.setitem(sys.modules, "colorizer_app.gui.app", fake)
    assert main([str(tmp_path)]) == 0
    assert calls == [[str(tmp_path)]]
    capsys.readouterr()
    assert main([str(tmp_path / "no-such-photo.jpg")]) == 2  # not there: a usage error, said as such
    assert calls == [[str(tmp_path)]]
    assert capsys.readouterr().err == f"colorizer: error: no such file or folder: {tmp_path / 'no-such-photo.jpg'}\n"
    assert main(["colourize"]) == 2  # a mistyped command is one still
    assert "invalid choice: 'colourize' (choose from 'colorize', 'models', 'self-test')" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "usage: colorizer [PHOTO_OR_FOLDER | COMMAND ...]" in capsys.readouterr().out
    assert main(["colorize", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: colorizer colorize [-h]")


def test_no_pyside6_gives_a_clear_message(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_pyside(name, *args, **kwargs):
        if name.startswith("colorizer_app.gui"):
            raise ModuleNotFoundError("No module named 'PySide6'", name="PySide6")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "colorizer_app.gui.app", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_pyside)
    assert main([]) == 1
    err = capsys.readouterr().err
    assert "needs PySide6" in err and "pip install PySide6-Essentials" in err


def test_models_table(installed_model, capsys):
    broken = installed_model.with_name("broken.json")
    broken.write_text("{ this is not json")
    (installed_model.parent / "old.pth").write_bytes(b"pickle")

    assert main(["models"]) == 0

    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split()
    assert header == ["NAME", "ORIGIN", "RENDER", "METRIC", "STATUS"]
    row = next(line for line in lines if line.startswith(MODEL))
    cells = [cell for cell in row.split() if cell != "*"]  # "*" marks the default model
    assert cells == [MODEL, "user", "128", "usable"]
    broken_row = next(line for line in lines if line.startswith("broken"))
    assert "unusable:" in broken_row
    pth_row = next(line for line in lines if line.startswith("old"))
    assert "unusable:" in pth_row and "pickle" in pth_row
    assert lines[-1] == f"Your own models go in {installed_model.parent}"


def test_colorize_folder_mirrors_tree_and_reports_the_broken_file(installed_model, album, tmp_path, capsys):
    out = tmp_path / "OUT"
    before = {p: p.read_bytes() for p in album.rglob("*") if p.is_file()}

    assert main(_colorize_args(album, out=out)) == 1  # one photo failed

    stdout = capsys.readouterr().out
    assert "Done: 3, skipped (already there): 0, failed: 1 (of 4)" in stdout
    broken = album / "old" / "1931" / "broken.jpg"
    assert f"  {broken}: not an image" in stdout
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "a.jpg", "old/1931/c.tif", "old/b.png"]
    b = load_photo(out / "old" / "b.png")
    assert b.pixels.shape == (36, 30, 3) and b.pixels.dtype == np.uint16
    assert {p: p.read_bytes() for p in album.rglob("*") if p.is_file()} == before

    assert main(_colorize_args(album, out=out)) == 1  # second run: skips, broken fails again
    assert "Done: 0, skipped (already there): 3, failed: 1" in capsys.readouterr().out


def test_colorize_success_exit_code_and_options(installed_model, album, tmp_path, capsys):
    out = tmp_path / "OUT"
    args = _colorize_args(album / "a.jpg", album / "old" / "b.png", out=out,
                          extra=("--format", "png", "--suffix", "_color", "--saturation", "0"))
    assert main(args) == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "a_color.png", "old", "old/b_color.png"]
    gray = load_photo(out / "a_color.png").pixels.astype(int)
    assert np.ptp(gray, axis=2).max() <= 1  # saturation 0: no color, only rounding
    assert main(args + ["--overwrite"]) == 0
    assert "Done: 2, skipped (already there): 0, failed: 0" in capsys.readouterr().out


def test_colorize_finds_the_hints_of_photos_moved_since(installed_model, tmp_path, capsys):
    from colorizer_app.core.hintstore import HintStore
    from colorizer_app.core.hints import Hint

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    Image.fromarray(_gray(48, 64)).save(inbox / "scan.png")
    red = (210, 30, 30)
    HintStore(paths.user_hints_file()).save({str(inbox / "scan.png"): [(Hint.from_rgb(0.25, 0.75, red), red)]})
    archive = tmp_path / "archive"
    inbox.rename(archive)
    (archive / "scan.png").rename(archive / "grandma.png")

    assert main(_colorize_args(archive, out=tmp_path / "out", extra=("--format", "png"))) == 0
    assert "Using the color hints set in the app on 1 of them" in capsys.readouterr().err
    r, g, b = (int(v) for v in load_photo(tmp_path / "out" / "grandma.png").pixels[36, 16])
    assert r > g + 40 and r > b + 40


def test_colorize_uses_the_hints_set_in_the_app_unless_told_not_to(installed_model, tmp_path, capsys, monkeypatch):
    from colorizer_app.core.hintstore import HintStore
    from colorizer_app.core.hints import Hint

    album = tmp_path / "album"
    album.mkdir()
    for name in ("hinted.png", "plain.png"):
        Image.fromarray(_gray(48, 64)).save(album / name)
    red = (210, 30, 30)
    # as the app writes it: the absolute path; the command line below names the folder relatively
    HintStore(paths.user_hints_file()).save({str(album / "hinted.png"): [(Hint.from_rgb(0.25, 0.75, red), red)]})
    monkeypatch.chdir(tmp_path)

    assert main(_colorize_args(Path("album"), out=tmp_path / "with", extra=("--format", "png"))) == 0
    assert "Using the color hints set in the app on 1 of them" in capsys.readouterr().err
    assert main(_colorize_args(Path("album"), out=tmp_path / "without", extra=("--format", "png", "--no-hints"))) == 0
    assert "color hints" not in capsys.readouterr().err

    def is_red(path):
        r, g, b = (int(v) for v in load_photo(path).pixels[36, 16])
        return r > g + 40 and r > b + 40

    assert is_red(tmp_path / "with" / "hinted.png")
    assert not is_red(tmp_path / "with" / "plain.png")
    assert not is_red(tmp_path / "without" / "hinted.png")


def test_colorize_one_photo_with_hints_given_on_the_command_line(installed_model, tmp_path):
    Image.fromarray(_gray(48, 64)).save(tmp_path / "scan.png")

    def red_at_hint(*extra):
        out = tmp_path / f"out{len(extra)}"
        assert main(_colorize_args(tmp_path / "scan.png", out=out, extra=("--format", "png", *extra))) == 0
        r, g, b = (int(v) for v in load_photo(out / "scan.png").pixels[36, 16])
        return r > g + 40 and r > b + 40

    assert red_at_hint("--hint", "0.25,0.75,#d21e1e")
    assert red_at_hint("--hint", "0.9,0.1,navy", "--hint", "0.25,0.75,red")
    assert not red_at_hint()


@pytest.mark.parametrize(("extra", "message"), [
    # the list also names the bundled models, whatever they are
    (["--model", "no-such-model"], "unknown model 'no-such-model'; available: "),
    (["--render-size", "0"], "must be at least 1"),
    (["--format", "gif"], "invalid choice"),
    (["--saturation", "inf"], "must be from 0 to 4, not inf"),
    (["--saturation", "-0.5"], "must be from 0 to 4, not -0.5"),
    (["--hint", "1.5,0.5,red"], "fractions of the photo's size"),
    (["--hint", "0.5,0.5,not-a-color"], "unknown color 'not-a-color'"),
    (["--hint", "0.5,red"], "expected X,Y,COLOR"),
    (["--hint", "0.5,0.5,red"], "--hint is for a single photo, and the inputs hold 4"),
])
def test_usage_errors_exit_2(installed_model, album, tmp_path, capsys, extra, message):
    args = ["colorize", str(album), "-o", str(tmp_path / "OUT"), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    if "unknown model" in message:
        assert MODEL in err.split("available: ")[1]
    assert not (tmp_path / "OUT").exists()


def test_folder_without_photos_exits_1(installed_model, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no photos here")
    assert main(_colorize_args(tmp_path / "empty", out=tmp_path / "OUT")) == 1
    assert "No photos found" in capsys.readouterr().err


def test_a_folder_of_photos_it_cannot_read_says_what_it_left_out(installed_model, tmp_path, capsys):
    (tmp_path / "phone").mkdir()
    (tmp_path / "phone" / "IMG_0001.HEIC").write_bytes(b"not decoded here")
    assert main(_colorize_args(tmp_path / "phone", out=tmp_path / "OUT")) == 1
    err = capsys.readouterr().err
    assert "No photos found" in err and "HEIC" in err


def test_missing_input_and_output_over_originals_exit_2(installed_model, album, capsys):
    assert main(_colorize_args(album / "nope.jpg", out=album)) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(_colorize_args(album, out=album)) == 2
    assert "would replace an original photo" in capsys.readouterr().err
    assert main(_colorize_args(album, out=album, extra=("--suffix", "/../x"))) == 2
    assert "which a file name cannot hold" in capsys.readouterr().err
    assert not list(album.parent.rglob("x.*"))  # album/a/../x.jpg was not written


@pytest.mark.skipif(sys.platform == "win32", reason="needs os.kill with SIGINT")
def test_ctrl_c_stops_after_the_current_photo(installed_model, album, tmp_path, monkeypatch, capsys):
    from colorizer_app.core import pipeline

    real_colorize = pipeline.colorize
    calls = []

    def colorize_then_ctrl_c(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # as if the user pressed Ctrl-C now
        return real_colorize(*args, **kwargs)

    monkeypatch.setattr(pipeline, "colorize", colorize_then_ctrl_c)
    out = tmp_path / "OUT"
    handler_before = signal.getsignal(signal.SIGINT)  # SIG_IGN when pytest runs in the background

    assert main(_colorize_args(album, out=out)) == 130

    assert len(calls) == 1
    assert [p.name for p in out.rglob("*") if p.is_file()] == ["a.jpg"]  # finished, nothing partial
    stdout = capsys.readouterr().out
    assert "Done: 1, skipped (already there): 0, failed: 0 (of 4)" in stdout
    assert "Stopped by Ctrl-C with 3 photo(s) left" in stdout
    assert signal.getsignal(signal.SIGINT) is handler_before  # handler restored


@pytest.mark.skipif(sys.platform == "win32", reason="needs os.kill with SIGTERM and SIGHUP")
@pytest.mark.parametrize("signum", [signal.SIGTERM, getattr(signal, "SIGHUP", 1)], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_while_writing_stops_at_once_and_leaves_no_partial_file(
        installed_model, album, tmp_path, monkeypatch, capsys, signum):
    """A logout or shutdown (SIGTERM), or the terminal window closed (SIGHUP)."""
    from colorizer_app.core import imageio

    real_encode = imageio._encode
    calls = []

    def encode_then_sigterm(f, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            f.write(b"half a photo")
            os.kill(os.getpid(), signum)  # while the second photo is written
        return real_encode(f, *args, **kwargs)

    monkeypatch.setattr(imageio, "_encode", encode_then_sigterm)
    out = tmp_path / "OUT"
    handler_before = signal.getsignal(signum)

    assert main(_colorize_args(album, out=out)) == 128 + signum

    assert len(calls) == 2
    assert [p.name for p in out.rglob("*") if p.is_file()] == ["a.jpg"]  # no temp file of the second photo
    assert f"Stopped by {signal.Signals(signum).name}" in capsys.readouterr().err
    assert signal.getsignal(signum) is handler_before


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on Windows")
def test_an_export_started_with_nohup_goes_on_when_the_terminal_closes(
        installed_model, album, tmp_path, monkeypatch):
    from colorizer_app.core import imageio

    real_encode = imageio._encode
    calls = []

    def encode_then_hangup(f, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGHUP)  # the terminal closes while the first photo is written
        return real_encode(f, *args, **kwargs)

    monkeypatch.setattr(imageio, "_encode", encode_then_hangup)
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # what nohup does
    try:
        assert main(_colorize_args(album, out=tmp_path / "OUT")) == 1  # the album's broken.jpg, nothing else
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, before)
    assert len([p for p in (tmp_path / "OUT").rglob("*") if p.is_file()]) == 3


def test_what_a_save_killed_outright_left_is_cleared_by_the_next_export(installed_model, album, tmp_path):
    """kill -9 or a power cut leaves the hidden temp file no handler could remove."""
    from colorizer_app.core.imageio import STALE_TEMP_SECONDS

    out = tmp_path / "OUT"
    out.mkdir()
    stale = out / ".a.jpg.6c988ddf.tmp.jpg"
    stale.write_bytes(b"half a photo")
    os.utime(stale, (time.time() - STALE_TEMP_SECONDS - 60,) * 2)
    in_flight = out / ".b.jpg.0badf00d.tmp.jpg"  # another export's save, seconds old
    in_flight.write_bytes(b"being written")
    mine = [out / ".holiday.20240101.tmp", out / ".x.deadbeef.tmp.jpg"]  # a person's own, named nearly so
    for path in mine:
        path.write_bytes(b"keep me")
        os.utime(path, (time.time() - STALE_TEMP_SECONDS - 60,) * 2)

    assert main(_colorize_args(album, out=out)) == 1  # the album's broken.jpg

    assert not stale.exists() and in_flight.exists() and all(path.exists() for path in mine)
    assert (out / "a.jpg").is_file()


def test_cuda_asked_without_a_gpu(installed_model, album, tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    args = _colorize_args(album, out=tmp_path / "OUT")
    args[args.index("cpu")] = "cuda"
    assert main(args) == 2
    assert "CUDA" in capsys.readouterr().err


def test_python_dash_m_in_a_real_process(installed_model, album, tmp_path):
    out = tmp_path / "OUT"
    result = subprocess.run(
        [sys.executable, "-m", "colorizer_app", *_colorize_args(album / "old", out=out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLORIZER_DATA_DIR": str(paths.user_models_dir().parent)})
    assert result.returncode == 1, result.stderr  # broken.jpg
    assert "Done: 2, skipped (already there): 0, failed: 1 (of 3)" in result.stdout
    assert "broken.jpg: not an image" in result.stdout
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "1931/c.tif", "b.png"]
    color = load_photo(out / "1931" / "c.tif").pixels
    assert color.shape == (32, 48, 3) and color.dtype == np.uint8


def test_a_name_the_output_encoding_cannot_write_is_escaped_not_a_crash(tmp_path):
    """Windows writes redirected output in its code page (cp1252 here): a models folder
    under a Polish or Chinese user name must not end the listing with an error."""
    data = tmp_path / "Łukasz_用户"
    result = subprocess.run(
        [sys.executable, "-m", "colorizer_app", "models"], cwd=Path(__file__).parents[1],
        capture_output=True, timeout=300,
        env={**os.environ, "COLORIZER_DATA_DIR": str(data), "PYTHONIOENCODING": "cp1252"})
    assert result.returncode == 0, result.stderr.decode("cp1252", "replace")
    assert "Your own models go in" in result.stdout.decode("cp1252")
    assert "\\u0141ukasz_\\u7528\\u6237" in result.stdout.decode("cp1252")


def test_a_multi_page_tiff_is_colorized_from_its_first_page_and_the_summary_says_so(
        installed_model, tmp_path, capsys):
    """Front and back of a postcard scanned into one TIFF: the back, often its
    handwritten caption, is not colorized, but a TIFF result keeps it as it is."""
    album = tmp_path / "cards"
    album.mkdir()
    back_pixels = _gray(32, 48)[::-1].copy()
    front, back = Image.fromarray(_gray(32, 48)), Image.fromarray(back_pixels)
    front.save(album / "card.tif", save_all=True, append_images=[back])

    assert main(_colorize_args(album, out=tmp_path / "OUT")) == 0

    out = capsys.readouterr().out
    assert "Note:" in out
    assert f"{album / 'card.tif'}: only the first of its 2 pages was colorized; the others follow it" in out
    with Image.open(tmp_path / "OUT" / "card.tif") as result:
        assert result.n_frames == 2 and result.mode == "RGB"
        result.seek(1)
        np.testing.assert_array_equal(np.asarray(result), back_pixels)
    assert load_photo(tmp_path / "OUT" / "card.tif").pages == 2  # and Colorizer reads it back

    assert main(_colorize_args(album, out=tmp_path / "PNG", extra=("--format", "png"))) == 0
    assert "the others are not in the result (a TIFF result keeps them)" in capsys.readouterr().out


def _colorize_without_root_powers(read_only: Path, *inputs: Path, out: Path) -> str:
    """`colorize INPUTS -o OUT` run by a user for whom ``read_only`` is read-only (root
    writes anywhere, so the run is a process without that power); its output, ending
    with "exit N"."""
    from tests.unprivileged import run_python_unprivileged

    script = "import sys\nfrom colorizer_app.cli import main\nprint('exit', main(sys.argv[1:]))\n"
    read_only.chmod(0o555)
    try:
        return run_python_unprivileged(script, *_colorize_args(*inputs, out=out),
                                       env={"COLORIZER_DATA_DIR": os.environ["COLORIZER_DATA_DIR"]}).stdout
    finally:
        read_only.chmod(0o755)


def test_an_output_folder_it_cannot_write_stops_the_export_with_one_line(installed_model, album, tmp_path):
    """A folder of someone else's (or a read-only disk) would fail every photo, each
    with the same line: the export says it once, before any work, and exits 1."""
    out = tmp_path / "theirs"
    out.mkdir()
    stdout = _colorize_without_root_powers(out, album, out=out)
    assert "exit 1" in stdout
    assert stdout.count("Permission denied") == 1 and "nothing was exported" in stdout
    assert "Failed:" not in stdout and not list(out.iterdir())


def test_writable_folders_inside_a_read_only_output_folder_are_exported_into(installed_model, tmp_path):
    """Two albums into a shared folder that has a writable folder for each but is itself
    read-only: nothing needs writing into it, so the export goes on."""
    for album in ("a1", "a2"):
        (tmp_path / "albums" / album).mkdir(parents=True)
        Image.fromarray(_gray(32, 40)).save(tmp_path / "albums" / album / "p.png")
        (tmp_path / "shared" / album).mkdir(parents=True)
        (tmp_path / "shared" / album).chmod(0o777)
    inputs = [tmp_path / "albums" / "a1", tmp_path / "albums" / "a2"]
    stdout = _colorize_without_root_powers(tmp_path / "shared", *inputs, out=tmp_path / "shared")
    assert "exit 0" in stdout, stdout
    assert (tmp_path / "shared" / "a1" / "p.png").exists() and (tmp_path / "shared" / "a2" / "p.png").exists()


def test_a_note_many_photos_share_is_said_once_above_them(installed_model, tmp_path, capsys):
    """A camera's folder exported as JPEG: every photo loses its 70 KB MakerNote (no
    room in a JPEG), and the summary says so once, with the photos beneath."""
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x927C] = bytes(range(256)) * 274  # MakerNote, in the Exif IFD
    camera = tmp_path / "camera"
    camera.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        Image.fromarray(_gray(32, 40)).save(camera / name, exif=exif.tobytes())
    Image.fromarray(_gray(32, 40)).save(camera / "plain.png")

    assert main(_colorize_args(camera, out=tmp_path / "out", extra=("--format", "jpg"))) == 0
    out = capsys.readouterr().out
    note = out.split("Note:\n")[1]
    assert note.count("MakerNote") == 1
    assert note.startswith("  3 photos: the camera's MakerNote")
    assert [line.strip() for line in note.splitlines()[1:4]] == [str(camera / n) for n in ("a.png", "b.png", "c.png")]
