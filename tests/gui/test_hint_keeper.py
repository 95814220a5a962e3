"""HintKeeper: the app's hints per photo, written through to a real hints file."""

from colorizer_app.core.hintstore import HintStore
from colorizer_app.gui.hint_keeper import HintKeeper


def test_hints_are_set_undone_and_cleared_per_photo_and_written_at_once(qtbot, tmp_path):
    photo, other = tmp_path / "a.png", tmp_path / "b.png"
    photo.write_bytes(b"photo a")
    other.write_bytes(b"photo b")
    keeper = HintKeeper(tmp_path / "hints.json")
    with qtbot.waitSignal(keeper.changed, timeout=1000):
        keeper.add(str(photo), 0.2, 0.3, (200, 20, 20))
    keeper.add(str(photo), 0.7, 0.7, (20, 20, 200))
    keeper.add(str(other), 0.5, 0.5, (20, 200, 20))
    assert [rgb for _, rgb in keeper.marks(str(photo))] == [(200, 20, 20), (20, 20, 200)]
    assert keeper.first_colors() == {str(photo): (200, 20, 20), str(other): (20, 200, 20)}
    assert HintStore(tmp_path / "hints.json").load()[0] == {str(photo): keeper.marks(str(photo)),
                                                           str(other): keeper.marks(str(other))}

    assert keeper.undo(str(photo)) and [rgb for _, rgb in keeper.marks(str(photo))] == [(200, 20, 20)]
    assert keeper.clear(str(other)) and not keeper.clear(str(other)) and not keeper.undo(str(other))
    assert keeper.index().hints(photo) == list(keeper.hints(str(photo)))
    assert list(HintStore(tmp_path / "hints.json").load()[0]) == [str(photo)]


def test_a_file_that_cannot_be_written_is_reported_and_the_hints_stay_in_use(qtbot, tmp_path):
    photo = tmp_path / "a.png"
    photo.write_bytes(b"photo a")
    (tmp_path / "data").write_text("a file where the data folder should be")
    keeper = HintKeeper(tmp_path / "data" / "hints.json")
    with qtbot.waitSignal(keeper.save_failed, timeout=1000) as failed:
        keeper.add(str(photo), 0.5, 0.5, (200, 20, 20))
    assert "Could not keep the color hints for next time" in failed.args[0]
    assert len(keeper.hints(str(photo))) == 1


def test_a_moved_photo_opened_before_the_search_gets_there_is_found_at_once(qtbot, tmp_path):
    photo = tmp_path / "inbox" / "a.png"
    photo.parent.mkdir()
    photo.write_bytes(b"photo a")
    HintKeeper(tmp_path / "hints.json").add(str(photo), 0.5, 0.5, (200, 20, 20))
    moved = tmp_path / "a-1952.png"
    photo.rename(moved)

    keeper = HintKeeper(tmp_path / "hints.json")
    assert keeper.marks(str(moved)) == []
    with qtbot.waitSignal(keeper.moved_found, timeout=1000) as found:
        keeper.find_moved(str(moved))
    assert found.args[0] == {str(moved): str(photo)}
    assert [rgb for _, rgb in keeper.marks(str(moved))] == [(200, 20, 20)]
    keeper.shutdown()


def test_a_photo_renamed_while_the_app_runs_keeps_its_hints(qtbot, tmp_path):
    photo = tmp_path / "scan.png"
    photo.write_bytes(b"photo a")
    keeper = HintKeeper(tmp_path / "hints.json")
    keeper.add(str(photo), 0.5, 0.5, (200, 20, 20))
    renamed = tmp_path / "grandma-1931.png"
    photo.rename(renamed)  # in a file manager, with the app open

    with qtbot.waitSignal(keeper.moved_found, timeout=5000) as found:
        keeper.search_moved([str(renamed)])  # the folder is listed again
    assert found.args[0] == {str(renamed): str(photo)}
    assert [rgb for _, rgb in keeper.marks(str(renamed))] == [(200, 20, 20)]
    assert keeper.marks(str(photo)) == [] and list(keeper.first_colors()) == [str(renamed)]
    assert list(HintStore(tmp_path / "hints.json").load()[0]) == [str(renamed)]
    keeper.shutdown()
