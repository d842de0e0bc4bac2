"""``DgxPixelsTrainLora``: ComfyUI's own LoRA trainer with what the dgx-pixels server needs.

ComfyUI's ``TrainLoraNode`` (``comfy_extras/nodes_train.py``) trains a LoRA on the checkpoint the
server already generates with, but it reports its steps only to a terminal progress bar, keeps one
learning rate throughout, and its ``SaveLoRANode`` names no file in the prompt's history. This
node runs that same trainer and adds, without changing its arithmetic:

- a WebSocket message ``dgx_pixels.train_step`` per step (``prompt_id``, ``node``, ``step``,
  ``steps``, ``loss``, ``lr``) for the job's progress, plus ComfyUI's own ``progress`` message,
  whose hook also stops training when the prompt is interrupted;
- a learning-rate schedule: ``cosine`` (linear warm-up, then cosine decay to zero) or ``constant``;
- the LoRA saved under the output folder and named in the node's output (``lora``: filename,
  subfolder, type, as images are), with the loss per step, the steps, the seconds and the GPU's
  peak memory, so that the server downloads it through ``/view``.

The trainer's loss callback is the only hook it offers, so this node swaps its sampler class for
one that reports and schedules, for the duration of the call (ComfyUI runs one prompt at a time).
"""

import contextlib
import math
import os
import time

import safetensors.torch
import torch

import comfy.utils
import folder_paths
from comfy_extras import nodes_train
from server import PromptServer

SCHEDULES = ["cosine", "constant"]


def lr_factor(schedule, step, steps, warmup):
    """The learning rate's multiplier before optimiser step ``step`` (from 0) of ``steps``."""
    if step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    span = max(1, steps - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - warmup) / span)))


class _Reporter:
    """Sends each step's loss to the prompt's client and keeps ComfyUI's progress bar moving."""

    def __init__(self, steps):
        self.steps = steps
        self.step = 0
        self.bar = comfy.utils.ProgressBar(steps)
        self.optimizer = None

    def __call__(self, loss):
        self.step += 1
        server = PromptServer.instance
        lr = self.optimizer.param_groups[0]["lr"] if self.optimizer is not None else None
        server.send_sync("dgx_pixels.train_step", {
            "prompt_id": server.last_prompt_id, "node": server.last_node_id,
            "step": self.step, "steps": self.steps, "loss": loss, "lr": lr,
        }, server.client_id)
        self.bar.update_absolute(self.step, self.steps)  # raises if the prompt was interrupted


@contextlib.contextmanager
def _reporting_sampler(reporter, schedule, warmup):
    """Makes ``TrainLoraNode`` build a sampler that reports through ``reporter`` and schedules."""
    base = nodes_train.TrainSampler

    class ReportingSampler(base):
        def __init__(self, loss_fn, optimizer, loss_callback=None, **kwargs):
            def report(loss):
                if loss_callback is not None:
                    loss_callback(loss)
                reporter(loss)

            super().__init__(loss_fn, optimizer, loss_callback=report, **kwargs)
            reporter.optimizer = optimizer
            scheduler = torch.optim.lr_scheduler.LambdaLR(
                optimizer, lambda step: lr_factor(schedule, step, reporter.steps, warmup))
            optimizer.register_step_post_hook(lambda *_: scheduler.step())

    nodes_train.TrainSampler = ReportingSampler
    try:
        yield
    finally:
        nodes_train.TrainSampler = base


class DgxPixelsTrainLora:
    """Trains a LoRA on a dataset's latents and captions and saves it as one safetensors file."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": ("MODEL",),
                "latents": ("LATENT", {"tooltip": "The dataset, VAE-encoded"}),
                "positive": ("CONDITIONING", {"tooltip": "One caption per image"}),
                "steps": ("INT", {"default": 500, "min": 1, "max": 100000}),
                "learning_rate": ("FLOAT", {"default": 0.0001, "min": 0.0000001, "max": 1.0, "step": 0.000001}),
                "rank": ("INT", {"default": 32, "min": 1, "max": 128}),
                "batch_size": ("INT", {"default": 1, "min": 1, "max": 64}),
                "schedule": (SCHEDULES, {"default": "cosine"}),
                "warmup_steps": ("INT", {"default": 0, "min": 0, "max": 100000}),
                "seed": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFFFFFFFFFFFF}),
                "filename_prefix": ("STRING", {"default": "dgx_pixels/style"}),
            }
        }

    RETURN_TYPES = ()
    FUNCTION = "train"
    OUTPUT_NODE = True
    CATEGORY = "dgx-pixels"

    def train(self, model, latents, positive, steps, learning_rate, rank, batch_size, schedule,
              warmup_steps, seed, filename_prefix):
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}")
        reporter = _Reporter(steps)
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        started = time.time()
        with _reporting_sampler(reporter, schedule, min(warmup_steps, steps)):
            _, lora, loss_map, _ = nodes_train.TrainLoraNode().train(
                model=model, latents=latents, positive=positive, batch_size=batch_size, steps=steps,
                grad_accumulation_steps=1, learning_rate=learning_rate, rank=rank, optimizer="AdamW",
                loss_function="MSE", seed=seed, training_dtype="bf16", lora_dtype="bf16",
                algorithm="LoRA", gradient_checkpointing=True, existing_lora="[None]")
        seconds = time.time() - started
        peak = torch.cuda.max_memory_allocated() if torch.cuda.is_available() else 0

        output_dir = folder_paths.get_output_directory()
        folder, filename, counter, subfolder, _ = folder_paths.get_save_image_path(filename_prefix, output_dir)
        name = f"{filename}_{counter:05}_.safetensors"
        metadata = {"ss_network_dim": str(rank), "ss_network_alpha": "1.0", "dgx_pixels_steps": str(steps),
                    "dgx_pixels_learning_rate": str(learning_rate), "dgx_pixels_schedule": schedule}
        safetensors.torch.save_file(lora, os.path.join(folder, name), metadata=metadata)
        return {"ui": {
            "lora": [{"filename": name, "subfolder": subfolder, "type": "output"}],
            "loss": loss_map["loss"],
            "steps": [steps],
            "seconds": [round(seconds, 3)],
            "peak_gpu_bytes": [peak],
        }}


NODE_CLASS_MAPPINGS = {"DgxPixelsTrainLora": DgxPixelsTrainLora}
NODE_DISPLAY_NAME_MAPPINGS = {"DgxPixelsTrainLora": "Train LoRA, with progress (dgx-pixels)"}
