"""Tests for colorizer_app.core.batch: planning output paths and running a batch."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorizer_app.core import batch as batch_mod
from colorizer_app.core.batch import BatchItem, ItemStatus, plan_batch, run_batch
from colorizer_app.core.imageio import Photo, colorized_from, load_photo

TREE_PHOTOS = ["a.jpg", "b.png", "sub/c.tif", "sub/deeper/broken.jpg", "sub/deeper/d.webp"]
GOOD_PHOTOS = [p for p in TREE_PHOTOS if "broken" not in p]


def sepia(photo: Photo) -> np.ndarray:
    """A deterministic stand-in for the network: gray -> warm RGB, same dtype."""
    gray = photo.pixels if photo.pixels.ndim == 2 else photo.pixels.mean(axis=2)
    scale = np.array([1.0, 0.85, 0.65])
    return (gray[..., None] * scale).round().astype(photo.pixels.dtype)


def hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under folder, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def relative_outputs(items: list[BatchItem], out: Path) -> list[str]:
    """Output paths relative to out, as posix strings, sorted."""
    return sorted(item.output.relative_to(out).as_posix() for item in items)


def files_under(folder: Path) -> list[str]:
    """Every file under folder (hidden ones included), relative and sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


# ------------------------------------------------------------------------ planning


def test_plan_mirrors_a_folder_tree(photo_tree, tmp_path):
    out = tmp_path / "OUT"
    items = plan_batch([photo_tree], out)
    assert relative_outputs(items, out) == TREE_PHOTOS  # notes.txt is not a photo
    for item in items:
        assert item.output == out / item.source.relative_to(photo_tree)


def test_plan_format_and_suffix(photo_tree, tmp_path):
    out = tmp_path / "OUT"
    items = plan_batch([photo_tree], out, fmt="png", suffix="_color")
    assert relative_outputs(items, out) == [
        "a_color.png", "b_color.png", "sub/c_color.png",
        "sub/deeper/broken_color.png", "sub/deeper/d_color.png"]
    tiffs = plan_batch([photo_tree], out, fmt="tiff")
    assert {item.output.suffix for item in tiffs} == {".tif"}


@pytest.mark.parametrize("suffix, shown", [("/../../elsewhere", "/"), ("_a:b", ":"), ("_a\\b", "\\\\"),
                                           ("_x\x07", "U+0007")])
def test_a_suffix_no_file_name_can_hold_is_refused_before_anything_is_written(
        photo_tree, tmp_path, suffix, shown):
    out = tmp_path / "OUT"
    with pytest.raises(ValueError, match="cannot hold") as refused:
        plan_batch([photo_tree], out, suffix=suffix)
    assert f"holds {shown}," in str(refused.value)
    assert not out.exists() and not (tmp_path / "elsewhere").exists()
    # A space, a dot or a hyphen are ordinary parts of a name.
    assert relative_outputs(plan_batch([photo_tree], out, suffix=" copy-1.v2", recursive=False), out) == [
        "a copy-1.v2.jpg", "b copy-1.v2.png"]


def test_plan_not_recursive(photo_tree, tmp_path):
    out = tmp_path / "OUT"
    assert relative_outputs(plan_batch([photo_tree], out, recursive=False), out) == ["a.jpg", "b.png"]


def test_plan_several_inputs_keep_their_folder_names(tmp_path, gradient):
    for year in ("2019", "2020"):
        (tmp_path / year / "scans").mkdir(parents=True)
        Image.fromarray(gradient(8, 8, 1)).save(tmp_path / year / "scans" / "x.png")
    loose = tmp_path / "2020" / "loose.png"
    Image.fromarray(gradient(8, 8, 1)).save(loose)
    out = tmp_path / "OUT"

    items = plan_batch([tmp_path / "2019" / "scans", tmp_path / "2020" / "scans", loose], out)

    assert relative_outputs(items, out) == ["2019/scans/x.png", "2020/loose.png", "2020/scans/x.png"]


def test_plan_single_file_and_duplicates(photo_tree, tmp_path):
    out = tmp_path / "OUT"
    assert relative_outputs(plan_batch([photo_tree / "sub" / "c.tif"], out), out) == ["c.tif"]
    # The same photo given twice (directly and through its folder) is done once.
    items = plan_batch([photo_tree / "sub", photo_tree / "sub" / "c.tif"], out)
    assert relative_outputs(items, out) == ["sub/c.tif", "sub/deeper/broken.jpg", "sub/deeper/d.webp"]


def test_plan_separates_names_a_format_change_would_merge(tmp_path, gradient):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(gradient(8, 8, 1)).save(folder / "x.jpg")
    Image.fromarray(gradient(8, 8, 1)).save(folder / "x.tif")
    Image.fromarray(gradient(8, 8, 1)).save(folder / "y.tif")
    out = tmp_path / "OUT"
    assert relative_outputs(plan_batch([folder], out, fmt="png"), out) == ["x_jpg.png", "x_tif.png", "y.png"]


def test_a_photo_keeps_the_name_of_its_earlier_result_when_another_joins_or_leaves(tmp_path, gradient):
    """x.png was made from x.jpg; x.tif joins: x.jpg keeps x.png (skipped), x.tif gets
    x_tif.png; x.jpg leaves: x.tif keeps x_tif.png. In a fresh folder, where both were
    tagged, x.tif leaves: x.jpg keeps x_jpg.png. No photo is colored twice, and no
    result is left under two names."""
    folder, out = tmp_path / "in", tmp_path / "OUT"
    folder.mkdir()
    Image.fromarray(gradient(8, 8, 1)).save(folder / "x.jpg")
    assert run_batch(plan_batch([folder], out, fmt="png"), sepia).done == 1
    assert colorized_from(out / "x.png")[:2] == ("x.jpg", (folder / "x.jpg").stat().st_size)

    Image.fromarray(gradient(8, 8, 1)).save(folder / "x.tif")
    items = plan_batch([folder], out, fmt="png")
    assert relative_outputs(items, out) == ["x.png", "x_tif.png"]
    report = run_batch(items, sepia)
    assert (report.done, report.skipped) == (1, 1)
    assert colorized_from(out / "x_tif.png").name == "x.tif"

    jpg = (folder / "x.jpg").read_bytes()
    (folder / "x.jpg").unlink()
    items = plan_batch([folder], out, fmt="png")
    assert relative_outputs(items, out) == ["x_tif.png"]
    assert run_batch(items, sepia).skipped == 1
    (folder / "x.jpg").write_bytes(jpg)

    # A fresh output folder: both tagged; then x.tif is removed and x.jpg runs alone.
    fresh = tmp_path / "FRESH"
    run_batch(plan_batch([folder], fresh, fmt="png"), sepia)
    (folder / "x.tif").unlink()
    items = plan_batch([folder], fresh, fmt="png")
    assert relative_outputs(items, fresh) == ["x_jpg.png"]
    assert run_batch(items, sepia).skipped == 1
    assert sorted(p.name for p in fresh.iterdir()) == ["x_jpg.png", "x_tif.png"]


def test_plan_never_targets_an_original(photo_tree):
    with pytest.raises(ValueError, match="would replace an original"):
        plan_batch([photo_tree], photo_tree)
    with pytest.raises(ValueError, match="would replace an original"):
        plan_batch([photo_tree / "a.jpg"], photo_tree, fmt="jpg")
    # b.png would become b.jpg next to it: fine, as no b.jpg exists...
    assert len(plan_batch([photo_tree / "b.png"], photo_tree, fmt="jpg")) == 1
    (photo_tree / "b.jpg").write_bytes(b"")  # ...but an original b.jpg is never replaced
    with pytest.raises(ValueError, match="b.jpg would replace an original"):
        plan_batch([photo_tree / "b.png"], photo_tree, fmt="jpg")


def test_plan_in_place_with_suffix_does_not_pick_up_its_results(photo_tree, tmp_path):
    items = plan_batch([photo_tree], photo_tree, suffix="_color")
    assert all(item.output.parent == item.source.parent for item in items)
    done = run_batch(items, sepia).done
    again = plan_batch([photo_tree], photo_tree, suffix="_color")
    assert [item.source for item in again] == [item.source for item in items]
    assert again.left_out == [(photo_tree, f"{done} of the photos are Colorizer's own results, left out")]
    results = plan_batch([item.output for item in items if item.output.exists()], photo_tree / "again")  # nothing but results
    assert len(results) == 0 and "are Colorizer's own results, left out" in results.left_out[0][1]


def test_plan_in_place_takes_a_photo_named_like_a_result_for_a_photo(photo_tree, gradient):
    """Only files Colorizer wrote are earlier results, whatever their name: a person's
    a_color.jpg is neither passed over nor replaced by a.jpg's result."""
    Image.fromarray(gradient(12, 12, 1)).save(photo_tree / "a_color.jpg")
    with pytest.raises(ValueError, match="a_color.jpg would replace an original"):
        plan_batch([photo_tree], photo_tree, suffix="_color", recursive=False)
    sources = [item.source.name for item in plan_batch([photo_tree], photo_tree, suffix="_c",
                                                       recursive=False)]
    assert sources == ["a.jpg", "a_color.jpg", "b.png"]


def test_plan_in_place_without_suffix_does_not_pick_up_its_results(photo_tree):
    """a.jpg -> a.tif next to it: the next run must not colorize a.tif as a photo."""
    first = plan_batch([photo_tree], photo_tree, fmt="tiff", recursive=False)
    assert [item.output.name for item in first] == ["a.tif", "b.tif"]
    assert run_batch(first, sepia).done == 2
    again = plan_batch([photo_tree], photo_tree, fmt="tiff", recursive=False)
    assert again == first
    assert run_batch(again, sepia).skipped == 2


def test_plan_skips_an_output_folder_inside_the_input(photo_tree):
    out = photo_tree / "colorized"
    first = plan_batch([photo_tree], out)
    run_batch(first, sepia)
    assert plan_batch([photo_tree], out) == first


def test_plan_says_it_left_out_an_output_folder_inside_the_input(photo_tree, gradient):
    """Photos/ exported into Photos/colorized/: that folder is not looked into, also
    where it held photos of the person's own before; the report says so."""
    out = photo_tree / "colorized"
    assert plan_batch([photo_tree], out).left_out == []  # not there yet: nothing left out
    out.mkdir()
    Image.fromarray(gradient(8, 8, 1)).save(out / "mine.jpg")

    plan = plan_batch([photo_tree], out)
    report = run_batch(plan, sepia)

    assert sorted(item.source.relative_to(photo_tree).as_posix() for item in plan) == TREE_PHOTOS
    [(folder, note)] = plan.left_out
    assert folder == out and "output folder" in note and "left out" in note
    assert report.notes == plan.left_out
    assert not (out / "colorized").exists() and "mine.jpg" in files_under(out)
    assert plan_batch([photo_tree], out, recursive=False).left_out == []  # no subfolder is looked into


def test_a_resumed_export_into_a_folder_inside_the_input_leaves_nothing_out(photo_tree):
    """An output folder holding only the export's own results hides nothing: a second
    run (which resumes) has no note that would suggest photos were missed."""
    out = photo_tree / "colorized"
    run_batch(plan_batch([photo_tree], out), sepia)
    assert files_under(out)

    again = plan_batch([photo_tree, photo_tree], out)  # the same folder twice, too
    assert again.left_out == []


def test_what_a_jpeg_result_has_no_room_for_is_a_note(tmp_path, gradient):
    """A camera's 70 KB MakerNote does not fit in a JPEG: the photo is exported, and
    the report says what its result lost (the log alone would reach no one)."""
    exif = Image.Exif()
    exif[0x013B] = "Ada Lovelace"  # Artist
    exif.get_ifd(0x8769)[0x927C] = bytes(range(256)) * 274  # MakerNote, in the Exif IFD
    album = tmp_path / "album"
    album.mkdir()
    Image.fromarray(gradient(8, 8, 1)).save(album / "scan.png", exif=exif.tobytes())

    report = run_batch(plan_batch([album], tmp_path / "out", fmt="jpg"), sepia)
    assert report.done == 1 and not report.failed
    [(source, note)] = report.notes
    assert source == album / "scan.png" and "MakerNote" in note and "JPEG" in note
    assert run_batch(plan_batch([album], tmp_path / "png", fmt="png"), sepia).notes == []  # a PNG keeps it


def test_plan_counts_the_photos_in_formats_it_cannot_read(photo_tree):
    """A phone's HEIC and a camera's DNG are passed over, and counted; notes.txt and
    hidden files are not photos, and not counted."""
    for name in ("IMG_1.heic", "sub/IMG_2.HEIC", "sub/deeper/scan.dng", ".hidden.heic"):
        (photo_tree / name).write_bytes(b"not readable here")

    plan = plan_batch([photo_tree], photo_tree / "colorized")
    report = run_batch(plan, sepia)

    assert sorted(item.source.relative_to(photo_tree).as_posix() for item in plan) == TREE_PHOTOS
    assert plan.left_out == [(photo_tree, "3 photos in formats Colorizer cannot read (DNG, HEIC) were left out")]
    assert report.notes == plan.left_out
    assert plan_batch([photo_tree], photo_tree / "colorized", recursive=False).left_out == [
        (photo_tree, "1 photo in formats Colorizer cannot read (HEIC) was left out")]
    # A folder given again, or inside another input: each photo is counted once.
    assert plan_batch([photo_tree, photo_tree / "sub", photo_tree], photo_tree / "colorized").left_out == [
        (photo_tree, "3 photos in formats Colorizer cannot read (DNG, HEIC) were left out")]


def test_plan_errors(photo_tree, tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        plan_batch([tmp_path / "nope"], tmp_path / "OUT")
    with pytest.raises(ValueError, match="unknown format 'gif'"):
        plan_batch([photo_tree], tmp_path / "OUT", fmt="gif")


# ------------------------------------------------------------------------- running


def test_a_folder_whose_photos_all_failed_is_not_left_behind_empty(photo_tree, tmp_path):
    (photo_tree / "sub" / "deeper" / "d.webp").unlink()  # sub/deeper now holds only broken.jpg
    out = tmp_path / "OUT"
    report = run_batch(plan_batch([photo_tree], out), sepia)
    assert report.done == 3 and len(report.failed) == 1
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == ["a.jpg", "b.png", "sub", "sub/c.tif"]
    everything_fails = plan_batch([photo_tree / "sub" / "deeper"], tmp_path / "OUT2" / "deeper")
    assert len(run_batch(everything_fails, sepia).failed) == 1
    assert list((tmp_path / "OUT2").rglob("*")) == [tmp_path / "OUT2" / "deeper"]  # the folder chosen stays


def test_batch_colorizes_tree_reports_broken_file_and_leaves_inputs_alone(photo_tree, tmp_path):
    before = hashes(photo_tree)
    out = tmp_path / "OUT"
    items = plan_batch([photo_tree], out)
    progress = []

    report = run_batch(items, sepia, on_progress=lambda *args: progress.append(args))

    assert hashes(photo_tree) == before
    assert files_under(out) == GOOD_PHOTOS  # no temp files, nothing for broken.jpg
    assert (report.total, report.done, report.skipped, report.cancelled) == (5, 4, 0, False)
    [(failed_path, reason)] = report.failed
    assert failed_path == photo_tree / "sub" / "deeper" / "broken.jpg"
    assert "truncated" in reason  # it starts like a JPEG, then stops making sense
    assert [(done, total, item.source.name, status) for done, total, item, status in progress] == [
        (1, 5, "a.jpg", ItemStatus.DONE), (2, 5, "b.png", ItemStatus.DONE),
        (3, 5, "c.tif", ItemStatus.DONE), (4, 5, "broken.jpg", ItemStatus.FAILED),
        (5, 5, "d.webp", ItemStatus.DONE)]
    assert report.elapsed > 0

    for name in GOOD_PHOTOS:
        source, result = load_photo(photo_tree / name), load_photo(out / name)
        assert result.pixels.shape == source.pixels.shape[:2] + (3,)
        assert result.pixels.dtype == source.pixels.dtype  # 16-bit TIFF stays 16-bit
        assert (result.alpha is None) == (source.alpha is None)  # WebP keeps alpha
    warm = load_photo(out / "b.png").pixels.astype(int)
    assert (warm[..., 0] >= warm[..., 2]).all() and (warm[..., 0] - warm[..., 2]).max() > 20


def test_second_run_skips_everything_done(photo_tree, tmp_path):
    out = tmp_path / "OUT"
    items = plan_batch([photo_tree], out)
    run_batch(items, sepia)
    written = hashes(out)
    calls = []

    def counting(photo):
        calls.append(photo.path)
        return sepia(photo)

    report = run_batch(plan_batch([photo_tree], out), counting)

    assert (report.done, report.skipped, len(report.failed)) == (0, 4, 1)
    assert calls == []  # broken.jpg fails on load, before colorizing
    assert hashes(out) == written


def test_overwrite_redoes_everything(photo_tree, tmp_path):
    out = tmp_path / "OUT"
    items = plan_batch([photo_tree], out)
    run_batch(items, sepia)
    report = run_batch(items, lambda photo: 255 - sepia(photo) if photo.bit_depth == 8 else sepia(photo),
                       overwrite=True)
    assert (report.done, report.skipped) == (4, 0)
    assert load_photo(out / "b.png").pixels[..., 2].min() > 40  # inverted now


def test_a_photo_already_at_an_output_path_is_never_replaced(tmp_path, gradient):
    """Exporting album/scans into album: album/p.jpg is somebody's photo, not a result."""
    album = tmp_path / "album"
    (album / "scans").mkdir(parents=True)
    Image.fromarray(gradient(12, 16, 1)).save(album / "scans" / "p.jpg")
    Image.fromarray(gradient(12, 16, 3, seed=4)).save(album / "p.jpg")
    Image.fromarray(gradient(12, 16, 1, seed=5)).save(album / "scans" / "q.jpg")
    before = hashes(album)
    items = plan_batch([album / "scans"], album)

    for overwrite in (False, True):
        report = run_batch(items, sepia, overwrite=overwrite)
        [(source, reason)] = report.failed
        assert source == album / "scans" / "p.jpg"
        assert "Colorizer did not write it" in reason and str(album / "p.jpg") in reason
        assert report.skipped == 0
    assert hashes(album)["p.jpg"] == before["p.jpg"]
    assert (album / "q.jpg").exists()  # the rest goes on


def test_things_in_the_way_of_an_output_are_reported(photo_tree, tmp_path):
    out = tmp_path / "OUT"
    out.mkdir()
    (out / "sub").write_text("a file where a folder should be")
    (out / "a.jpg").mkdir()
    report = run_batch(plan_batch([photo_tree], out), sepia)
    reasons = {source.name: reason for source, reason in report.failed}
    assert "a folder is in the way" in reasons["a.jpg"]
    assert "a file is in the way" in reasons["c.tif"] and "a file is in the way" in reasons["d.webp"]
    assert (report.done, report.skipped) == (1, 0)  # b.png
    with pytest.raises(ValueError, match="is a file, not a folder"):
        plan_batch([photo_tree], out / "sub")


@pytest.mark.parametrize("stop_after", [0, 1, 3])
def test_cancel_leaves_exactly_the_finished_files(photo_tree, tmp_path, stop_after):
    out = tmp_path / "OUT"
    items = plan_batch([photo_tree], out)
    finished = []

    report = run_batch(items, sepia,
                       on_progress=lambda done, total, item, status: finished.append(item),
                       should_cancel=lambda: len(finished) >= stop_after)

    assert report.cancelled
    assert report.processed == stop_after
    expected = [item.output.relative_to(out).as_posix() for item in finished
                if item.source.name != "broken.jpg"]
    written = files_under(out) if out.exists() else []
    assert written == sorted(expected)
    assert len(written) == report.done == stop_after  # broken.jpg is 4th: not reached


def test_interrupt_during_a_file_leaves_no_partial_output(photo_tree, tmp_path, monkeypatch):
    out = tmp_path / "OUT"
    items = plan_batch([photo_tree], out)
    real_save = batch_mod.save_photo

    def interrupted_save(path, pixels, **kwargs):
        if path.name == "b.png":
            # Ctrl-C while the encoder writes: save_photo must clean up after itself.
            monkeypatch.setattr("colorizer_app.core.imageio._encode", _encode_then_interrupt)
        return real_save(path, pixels, **kwargs)

    monkeypatch.setattr(batch_mod, "save_photo", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        run_batch(items, sepia)
    assert files_under(out) == ["a.jpg"]


def _encode_then_interrupt(f, *args):
    f.write(b"\x89PNG half a file")
    raise KeyboardInterrupt


def test_colorize_and_save_errors_are_recorded_and_the_batch_goes_on(photo_tree, tmp_path):
    out = tmp_path / "OUT"
    items = plan_batch([photo_tree], out)

    def flaky(photo):
        if photo.path.name == "a.jpg":
            raise RuntimeError("CUDA out of memory")
        if photo.path.name == "b.png":
            return np.zeros((2, 2, 3), np.uint8)  # wrong size: save refuses the alpha/shape
        return sepia(photo)

    report = run_batch(items, flaky)

    reasons = {path.name: reason for path, reason in report.failed}
    assert set(reasons) == {"a.jpg", "b.png", "broken.jpg"}
    assert reasons["a.jpg"] == "RuntimeError: CUDA out of memory"
    assert "2×2 pixels for a 28×20 photo" in reasons["b.png"]
    assert report.done == 2
    assert files_under(out) == ["sub/c.tif", "sub/deeper/d.webp"]


def test_batch_with_the_real_pipeline_and_model(photo_tree, tmp_path, tiny_model_json):
    from colorizer_app.core.modelfile import load_model
    from colorizer_app.core.pipeline import colorize

    model = load_model(tiny_model_json, device="cpu")
    out = tmp_path / "OUT"
    before = hashes(photo_tree)

    report = run_batch(plan_batch([photo_tree], out, fmt="png"),
                       lambda photo: colorize(photo.pixels, model, render_size=64))

    assert (report.done, len(report.failed)) == (4, 1)
    assert hashes(photo_tree) == before
    assert files_under(out) == ["a.png", "b.png", "sub/c.png", "sub/deeper/d.png"]
    result = load_photo(out / "sub" / "c.png")
    assert result.pixels.shape == (18, 22, 3) and result.pixels.dtype == np.uint16
    chroma = np.ptp(load_photo(out / "a.png").pixels.astype(int), axis=2)
    assert chroma.max() > 0  # the network added some color to a gray photo


def test_a_batch_keeps_each_photos_resolution(tmp_path, gradient):
    album = tmp_path / "album"
    album.mkdir()
    Image.fromarray(gradient(12, 16, 1)).save(album / "scan.jpg", dpi=(600, 600))
    report = run_batch(plan_batch([album], tmp_path / "OUT", fmt="tiff"), sepia)
    assert report.done == 1
    assert load_photo(tmp_path / "OUT" / "scan.tif").dpi == pytest.approx((600, 600))


def test_linked_folders_are_followed_once_and_a_link_back_up_does_not_loop(tmp_path, gradient):
    archive, box = tmp_path / "archive", tmp_path / "elsewhere" / "box1"
    box.mkdir(parents=True)
    archive.mkdir()
    Image.fromarray(gradient(8, 8, 1)).save(archive / "a.jpg")
    Image.fromarray(gradient(8, 8, 1)).save(box / "b.jpg")
    (archive / "box1").symlink_to(box, target_is_directory=True)
    (box / "back-up").symlink_to(archive, target_is_directory=True)
    out = tmp_path / "OUT"
    assert relative_outputs(plan_batch([archive], out), out) == ["a.jpg", "box1/b.jpg"]


def test_a_link_to_a_folder_above_is_not_followed_out_of_the_folder_exported(tmp_path, gradient):
    for box in ("box1", "box2"):
        (tmp_path / "archive" / box).mkdir(parents=True)
        Image.fromarray(gradient(8, 8, 1)).save(tmp_path / "archive" / box / f"{box}.jpg")
    (tmp_path / "archive" / "box1" / "up").symlink_to("..", target_is_directory=True)
    out = tmp_path / "OUT"
    plan = plan_batch([tmp_path / "archive" / "box1"], out)
    assert relative_outputs(plan, out) == ["box1.jpg"]
    assert [(path.name, why.split(":")[0]) for path, why in plan.left_out] == [
        ("up", "a link to a folder above the one exported")]


def test_names_that_differ_only_in_case_get_numbered_instead_of_stopping_the_batch(tmp_path, gradient):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(gradient(8, 8, 1)).save(folder / "a.jpg")
    Image.fromarray(gradient(8, 8, 1)).save(folder / "a.JPG")
    if len(list(folder.iterdir())) == 1:
        pytest.skip("a case-insensitive file system holds one of them")
    out = tmp_path / "OUT"
    assert relative_outputs(plan_batch([folder], out), out) == ["a_jpg.JPG", "a_jpg_2.jpg"]


def test_a_folder_that_cannot_be_listed_is_reported_not_passed_over(tmp_path, gradient):
    """chmod 000 on a box of scans: its photos cannot be found, and the batch says so
    (a failure, exit code 1) instead of "done" with them silently missing. Root reads
    any folder, so as root the check runs in a process without that power."""
    import json

    from tests.unprivileged import run_python_unprivileged

    album = tmp_path / "album"
    (album / "locked").mkdir(parents=True)
    Image.fromarray(gradient(8, 8, 1)).save(album / "a.jpg")
    Image.fromarray(gradient(8, 8, 1)).save(album / "locked" / "b.jpg")
    (album / "locked").chmod(0)
    script = ("import json, sys\n"
              "from colorizer_app.core.batch import plan_batch\n"
              "items = plan_batch([sys.argv[1]], sys.argv[2])\n"
              "print(json.dumps([[str(i.source), i.problem] for i in items]))\n")
    try:
        out = run_python_unprivileged(script, str(album), str(tmp_path / "out"))
    finally:
        (album / "locked").chmod(0o755)
    items = json.loads(out.stdout)
    assert [source for source, problem in items if not problem] == [str(album / "a.jpg")]
    locked = [problem for source, problem in items if source == str(album / "locked")]
    assert locked and "could not be listed" in locked[0] and "no permission" in locked[0]

    report = run_batch([BatchItem(album / "locked", tmp_path / "out" / "locked", locked[0])],
                       lambda photo: photo.pixels)
    assert (report.done, report.failed) == (0, [(album / "locked", locked[0])])


def test_a_bmp_kept_in_its_format_becomes_a_png_that_carries_the_mark(tmp_path, gradient):
    """BMP has no room for Colorizer's mark: a BMP result could not be told from a
    photo by the next export, and would be colorized again. (GIF is read, never written.)"""
    album = tmp_path / "album"
    album.mkdir()
    Image.fromarray(gradient(8, 8, 1)).save(album / "scan.bmp")
    Image.fromarray(gradient(8, 8, 1)).save(album / "web.gif")
    items = plan_batch([album], album / "colored")
    assert [i.output for i in items] == [album / "colored" / "scan.png", album / "colored" / "web.png"]
    items = items[:1]
    run_batch(items, lambda photo: np.repeat(photo.pixels[..., None], 3, axis=2))

    again = plan_batch([album], album / "colored_again", fmt="jpg")
    assert [i.source for i in again] == [album / "scan.bmp", album / "web.gif"]  # not colored/scan.png


def test_a_photo_and_a_link_to_it_give_one_result_named_after_the_photo(tmp_path, gradient):
    album = tmp_path / "album"
    album.mkdir()
    Image.fromarray(gradient(8, 8, 1)).save(album / "progressive.jpg")
    (album / "link.jpg").symlink_to("progressive.jpg")  # sorts first
    items = plan_batch([album], tmp_path / "out")
    assert [(i.source.name, i.output.name) for i in items] == [("progressive.jpg", "progressive.jpg")]


def test_a_full_disk_stops_the_batch_instead_of_failing_every_photo_after_it(tmp_path, gradient, monkeypatch):
    """Each photo after the disk filled would be colorized (minutes, for a big scan)
    only to fail at the save: the batch stops at the first and says why."""
    import errno

    from colorizer_app.core import imageio

    album = tmp_path / "album"
    album.mkdir()
    for name in ("a", "b", "c", "d"):
        Image.fromarray(gradient(8, 8, 1)).save(album / f"{name}.png")
    real_encode = imageio._encode
    writes = []

    def fills_at_the_second(f, *args, **kwargs):
        writes.append(1)
        if len(writes) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_encode(f, *args, **kwargs)

    monkeypatch.setattr(imageio, "_encode", fills_at_the_second)
    colorized = []
    report = run_batch(plan_batch([album], tmp_path / "out"),
                       lambda photo: colorized.append(photo.path.name) or np.repeat(photo.pixels[..., None], 3, 2))
    assert (report.done, len(report.failed), report.total) == (1, 1, 4)
    assert colorized == ["a.png", "b.png"]  # c and d were not colorized for nothing
    assert "is full" in report.stopped and sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png"]


def test_an_export_keeps_each_photos_xmp_caption(tmp_path, gradient):
    folder, out = tmp_path / "box 7", tmp_path / "OUT"
    folder.mkdir()
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description>Picnic, 1952'
           b'</dc:description></rdf:Description></rdf:RDF></x:xmpmeta>')
    Image.fromarray(gradient(8, 8, 1)).save(folder / "picnic.jpg", xmp=xmp)
    Image.fromarray(gradient(8, 8, 1)).save(folder / "plain.jpg")
    assert run_batch(plan_batch([folder], out, fmt="tiff"), sepia).done == 2
    assert b"<dc:description>Picnic, 1952</dc:description>" in load_photo(out / "picnic.tif").xmp
    assert load_photo(out / "plain.tif").xmp is None


def test_a_result_of_another_photo_of_the_same_name_is_not_skipped_as_this_ones(tmp_path, gradient):
    """Scanners name every box's files img001.jpg: a second box exported into the same
    folder, or a photo replaced under its name, must not pass for done."""
    box1, box2, out = tmp_path / "box 1", tmp_path / "box 2", tmp_path / "OUT"
    box1.mkdir()
    box2.mkdir()
    Image.fromarray(gradient(8, 8, 1)).save(box1 / "img001.jpg")
    Image.fromarray(np.full((16, 12), 200, np.uint8)).save(box2 / "img001.jpg")
    assert run_batch(plan_batch([box1], out, fmt="png"), sepia).done == 1

    report = run_batch(plan_batch([box2], out, fmt="png"), sepia)
    assert (report.done, report.skipped, len(report.failed)) == (0, 0, 1)
    assert "colored from another img001.jpg" in report.failed[0][1]
    assert load_photo(out / "img001.png").pixels.shape[:2] == (8, 8)  # box 1's result, untouched

    assert run_batch(plan_batch([box1], out, fmt="png"), sepia).skipped == 1  # its own: skipped
    report = run_batch(plan_batch([box2], out, fmt="png"), sepia, overwrite=True)
    assert report.done == 1 and load_photo(out / "img001.png").pixels.shape[:2] == (16, 12)


def test_two_scans_of_one_size_are_told_apart(tmp_path):
    """Uncompressed TIFFs of one scanner and size have the same byte count: the mark's
    digest of their content tells another box's img001.tif from this one."""
    box1, box2, out = tmp_path / "box 1", tmp_path / "box 2", tmp_path / "OUT"
    for box, value in ((box1, 60), (box2, 200)):
        box.mkdir()
        Image.fromarray(np.full((40, 30), value, np.uint8)).save(box / "img001.tif")  # uncompressed
    assert (box1 / "img001.tif").stat().st_size == (box2 / "img001.tif").stat().st_size
    assert run_batch(plan_batch([box1], out, fmt="png"), sepia).done == 1
    report = run_batch(plan_batch([box2], out, fmt="png"), sepia)
    assert (report.skipped, len(report.failed)) == (0, 1)
