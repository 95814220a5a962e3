"""The color hints file: round trip, gone and moved photos, a broken file, no temporary files left."""

import json

import pytest

from colorizer_app.core.hints import Hint
from colorizer_app.core.hintstore import HintIndex, HintStore


def marks(*points):
    return [(Hint.from_rgb(x, y, rgb), rgb) for x, y, rgb in points]


def test_hints_come_back_as_they_were_saved(tmp_path):
    photo = tmp_path / "scan.jpg"
    photo.write_bytes(b"a photo")
    store = HintStore(tmp_path / "data" / "hints.json")
    saved = {str(photo): marks((0.25, 0.5, (210, 30, 30)), (0.8, 0.1, (40, 90, 200)))}
    store.save(saved)
    loaded, problem = HintStore(store.path).load()
    assert problem == ""
    assert loaded == saved
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["hints.json"]  # no temporary file left


def test_photos_without_hints_or_no_longer_there_are_dropped(tmp_path):
    kept, gone, cleared = (tmp_path / name for name in ("kept.png", "gone.png", "cleared.png"))
    kept.write_bytes(b"x")
    cleared.write_bytes(b"x")
    store = HintStore(tmp_path / "hints.json")
    store.save({str(kept): marks((0.5, 0.5, (0, 128, 0))), str(gone): marks((0.5, 0.5, (0, 0, 255))),
                str(cleared): []})
    assert str(cleared) not in json.loads(store.path.read_text())["photos"]
    loaded, _ = store.load()
    assert list(loaded) == [str(kept)]


def test_hints_follow_a_photo_that_was_moved_and_renamed(tmp_path):
    old = tmp_path / "inbox" / "scan.png"
    old.parent.mkdir()
    old.write_bytes(b"the photo's bytes")
    hints = marks((0.25, 0.5, (210, 30, 30)))
    HintStore(tmp_path / "hints.json").save({str(old): hints})
    new = tmp_path / "archive" / "1952" / "grandma.png"
    new.parent.mkdir(parents=True)
    old.rename(new)
    impostor = tmp_path / "other.png"  # the same size, other bytes: not the photo
    impostor.write_bytes(b"the photo's BYTES")

    store = HintStore(tmp_path / "hints.json")
    loaded, problem = store.load()
    assert loaded == {} and problem == ""
    assert store.moved.find(new) == (str(old), hints)
    assert store.moved.find(impostor) is None and store.moved.find(tmp_path / "nothing.png") is None
    assert HintIndex(loaded, store.moved).hints(new) == [hint for hint, _ in hints]

    # A session that does not come across the photo keeps its hints for later ...
    store.save({})
    store = HintStore(tmp_path / "hints.json")
    store.load()
    assert store.moved.find(new) == (str(old), hints)
    # ... and once they are kept under the new path, the old one is gone from the file.
    store.save({str(new): hints})
    assert list(json.loads(store.path.read_text())["photos"]) == [str(new)]
    assert len(store.moved) == 0


def test_no_file_yet_is_no_hints_and_no_problem(tmp_path):
    assert HintStore(tmp_path / "hints.json").load() == ({}, "")


@pytest.mark.parametrize("text", [
    "{not json", '{"format": "something else", "photos": {}}',
    '{"format": "colorizer-hints", "version": 1, "photos": {"%s": [{"x": 3, "y": 0.5, "rgb": [1, 2, 3]}]}}',
    '{"format": "colorizer-hints", "version": 1, "photos": {"%s": [{"x": 0.5, "y": 0.5, "rgb": [1e999, 0, 0]}]}}',
    '{"format": "colorizer-hints", "photos": {}, "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
], ids=["not json", "not ours", "out of range", "infinite", "nested deep"])
def test_a_broken_file_is_set_aside_and_reported(tmp_path, text):
    photo = tmp_path / "scan.png"
    photo.write_bytes(b"x")
    path = tmp_path / "hints.json"
    path.write_text(text.replace("%s", str(photo)))
    loaded, problem = HintStore(path).load()
    assert loaded == {}
    assert "Could not read the saved color hints" in problem and "hints.json.bad" in problem
    assert not path.exists() and (tmp_path / "hints.json.bad").read_text() == text.replace("%s", str(photo))

    path.write_text("{damaged again")  # the first one set aside is not overwritten
    assert "hints.json.bad2" in HintStore(path).load()[1]
    assert (tmp_path / "hints.json.bad").read_text() == text.replace("%s", str(photo))


def test_hints_follow_a_photo_retouched_in_place_and_then_moved(tmp_path):
    photo = tmp_path / "scan.png"
    photo.write_bytes(b"the first scan")
    hints = marks((0.25, 0.5, (210, 30, 30)))
    HintStore(tmp_path / "hints.json").save({str(photo): hints})
    photo.write_bytes(b"the scan, retouched and longer")  # new bytes: the old fingerprint no longer fits

    store = HintStore(tmp_path / "hints.json")
    loaded, _ = store.load()
    assert store.needs_save  # the window saves at once, taking the new fingerprint
    store.save(loaded)
    assert not store.needs_save
    moved = tmp_path / "archive" / "scan.png"
    moved.parent.mkdir()
    photo.rename(moved)

    store = HintStore(tmp_path / "hints.json")
    store.load()
    assert store.moved.find(moved) == (str(photo), hints)


def test_a_file_without_modification_times_needs_no_rewrite(tmp_path):
    """Files written before "mtime_ns" keep their fingerprints while the photo's size is unchanged."""
    photo = tmp_path / "scan.png"
    photo.write_bytes(b"the photo")
    store = HintStore(tmp_path / "hints.json")
    store.save({str(photo): marks((0.5, 0.5, (0, 0, 255)))})
    data = json.loads(store.path.read_text())
    del data["fingerprints"][str(photo)]["mtime_ns"]
    store.path.write_text(json.dumps(data))

    store = HintStore(tmp_path / "hints.json")
    store.load()
    assert not store.needs_save
    photo.write_bytes(b"the photo, longer")
    store.load()
    assert store.needs_save


def test_take_moved_hands_over_the_moved_photos_found_in_a_folder(tmp_path):
    photos = {name: tmp_path / "inbox" / name for name in ("a.png", "b.png")}
    photos["a.png"].parent.mkdir()
    for name, path in photos.items():
        path.write_bytes(f"photo {name}".encode())
    hints = marks((0.3, 0.3, (0, 128, 0)))
    HintStore(tmp_path / "hints.json").save({str(photos["a.png"]): hints})
    (tmp_path / "inbox").rename(tmp_path / "album")
    listed = [str(tmp_path / "album" / name) for name in ("a.png", "b.png")]

    store = HintStore(tmp_path / "hints.json")
    store.load()
    matches = {path: store.moved.match(path) for path in listed}
    assert matches[listed[1]] is None  # never had hints
    found = {listed[0]: matches[listed[0]]}
    assert store.take_moved(found) == {listed[0]: (str(photos["a.png"]), hints)}
    assert len(store.moved) == 0 and store.take_moved(found) == {}
    store.save({listed[0]: hints})
    data = json.loads(store.path.read_text())
    assert list(data["photos"]) == [listed[0]] and list(data["fingerprints"]) == [listed[0]]


def test_a_damaged_file_that_cannot_be_moved_aside_is_not_written_over(tmp_path, monkeypatch):
    """A sharing lock (Windows) or a read-only folder: the hints in it may still be
    recovered by hand, so new ones are refused rather than written over them."""
    from colorizer_app.core import hintstore

    path = tmp_path / "hints.json"
    path.write_text("{damaged")

    def locked(src, dst):
        raise PermissionError(13, "The process cannot access the file")

    monkeypatch.setattr(hintstore.os, "replace", locked)
    store = HintStore(path)
    assert "nor move" in store.load()[1]
    monkeypatch.undo()
    with pytest.raises(OSError, match="could not be moved aside"):
        store.save({str(tmp_path / "scan.png"): [(Hint.from_rgb(0.5, 0.5, (200, 30, 30)), (200, 30, 30))]})
    assert path.read_text() == "{damaged"
