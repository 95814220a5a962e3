"""MovedPhotoSearch: moved photos found among a folder's files on a pool thread."""

from colorizer_app.core.hints import Hint
from colorizer_app.core.hintstore import HintStore, fingerprint
from colorizer_app.gui.moved_search import MovedPhotoSearch


def moved_photos(tmp_path, *names):
    """Photos with hints that were then moved from inbox/ to album/; the store's moved photos."""
    (tmp_path / "inbox").mkdir()
    for name in names:
        (tmp_path / "inbox" / name).write_bytes(f"the photo {name}".encode())
    hints = [(Hint.from_rgb(0.5, 0.5, (200, 20, 20)), (200, 20, 20))]
    HintStore(tmp_path / "hints.json").save({str(tmp_path / "inbox" / name): hints for name in names})
    (tmp_path / "inbox").rename(tmp_path / "album")
    store = HintStore(tmp_path / "hints.json")
    store.load()
    return store.moved


def test_finds_the_moved_photos_among_the_paths(qtbot, tmp_path):
    moved = moved_photos(tmp_path, "a.png", "b.png")
    (tmp_path / "album" / "never-hinted.png").write_bytes(b"the photo A.png")  # a's size, other bytes
    paths = [str(p) for p in sorted((tmp_path / "album").iterdir())]
    search = MovedPhotoSearch()
    with qtbot.wait_signal(search.found, timeout=5000) as found:
        search.search(paths, moved)
    album = tmp_path / "album"
    assert found.args[0] == {str(album / n): fingerprint(album / n) for n in ("a.png", "b.png")}
    search.shutdown()


def test_a_newer_search_drops_the_older_ones_result(qtbot, tmp_path):
    moved = moved_photos(tmp_path, "a.png", "b.png")
    search = MovedPhotoSearch()
    results = []
    search.found.connect(results.append)
    search.search([str(tmp_path / "album" / "a.png")], moved)
    with qtbot.wait_signal(search.found, timeout=5000):
        search.search([str(tmp_path / "album" / "b.png")], moved)
    qtbot.wait(50)  # time for a late result of the first search to arrive, if it were not dropped
    assert [list(result) for result in results] == [[str(tmp_path / "album" / "b.png")]]
    search.shutdown()
