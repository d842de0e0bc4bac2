"""dgx-pixels nodes for ComfyUI: many single-frame jobs with different prompts in one prompt, and
seamless tiles.

Core ComfyUI cannot stack different prompts' conditionings along the batch axis, and its
KSampler draws the noise of a whole batch from one seed. These two nodes fill the gap so that
the dgx-pixels server can batch compatible queued jobs (same checkpoint, LoRA, canvas, steps,
cfg) into one ComfyUI prompt while every job keeps its own prompt and its own seed:

- ``DgxPixelsTextBatch``: encodes a JSON list of texts with one CLIP and concatenates the
  conditionings (and SDXL's pooled outputs) along the batch axis. Texts of different token
  lengths are brought to a common length the way ComfyUI itself does when it batches conds
  (repeating each to the least common multiple of the lengths).
- ``DgxPixelsBatchKSampler``: KSampler with ``seeds`` (a JSON list, one per batch item)
  instead of ``seed``. Item ``i`` gets exactly the noise a batch of one with ``seeds[i]`` gets,
  so a job's image does not depend on which jobs shared its batch (up to GPU arithmetic).

Seamless tiles (the server's ``tile`` workflow, for requests with ``kind: "tile"``):

- ``DgxPixelsSeamless``: the MODEL with every convolution of its UNet padding circularly (as
  object patches on a clone, so the checkpoint's other users are untouched): the latent it
  denoises wraps around, so the image continues across its own edges.
- ``DgxPixelsSeamlessVAEDecode``: VAEDecode with the VAE's convolutions padding circularly for
  the duration of the decode (restored after), so the pixels wrap around as the latent does.

Style training (the server's ``train_style`` jobs): ``DgxPixelsTrainLora`` in ``train.py``.

Frames to the server without PNGs: ``DgxPixelsSendImages`` in ``send.py`` (the server puts it in
place of the template's ``PreviewImage`` when ComfyUI has it).

Install: copy (or link) this folder into ComfyUI's ``custom_nodes/`` as ``dgx_pixels`` and
restart ComfyUI. With ``--disable-all-custom-nodes``, add ``--whitelist-custom-nodes dgx_pixels``.
The server looks for both classes in ``/object_info``; without them it sends one prompt per job.
"""

import json
import math

import torch

import comfy.sample
import comfy.samplers
import comfy.utils
import latent_preview

from . import send, train


def _parse_list(text, what):
    try:
        items = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{what} must be a JSON list: {err}") from err
    if not isinstance(items, list) or not items:
        raise ValueError(f"{what} must be a non-empty JSON list")
    return items


class DgxPixelsTextBatch:
    """Encodes several texts into one batched CONDITIONING, one batch item per text."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "texts": ("STRING", {"multiline": True, "default": "[\"\"]", "tooltip": "JSON list of texts"}),
                "clip": ("CLIP",),
            }
        }

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "encode"
    CATEGORY = "dgx-pixels"

    def encode(self, texts, clip):
        texts = [str(text) for text in _parse_list(texts, "texts")]
        # Each distinct text is encoded once: a batch's negative prompts are usually all the
        # same. (Encoding costs 25-45 ms per item at a 512² canvas on an H100, but the saving on
        # the negatives was within run-to-run noise there: BENCHMARKS.md, "Half a second to a
        # sprite".)
        encoded = {}
        for text in dict.fromkeys(texts):
            encoded[text] = clip.encode_from_tokens(clip.tokenize(text), return_pooled=True)
        conds = [encoded[text][0] for text in texts]
        pooled = [encoded[text][1] for text in texts]
        length = math.lcm(*(c.shape[1] for c in conds))
        conds = [c.repeat(1, length // c.shape[1], 1) for c in conds]
        extra = {}
        if all(p is not None for p in pooled):
            extra["pooled_output"] = torch.cat(pooled, dim=0)
        return ([[torch.cat(conds, dim=0), extra]],)


class DgxPixelsBatchKSampler:
    """KSampler whose batch items each draw their noise from their own seed."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": ("MODEL",),
                "seeds": ("STRING", {"multiline": False, "default": "[0]", "tooltip": "JSON list, one per item"}),
                "steps": ("INT", {"default": 20, "min": 1, "max": 10000}),
                "cfg": ("FLOAT", {"default": 8.0, "min": 0.0, "max": 100.0, "step": 0.1, "round": 0.01}),
                "sampler_name": (comfy.samplers.KSampler.SAMPLERS,),
                "scheduler": (comfy.samplers.KSampler.SCHEDULERS,),
                "positive": ("CONDITIONING",),
                "negative": ("CONDITIONING",),
                "latent_image": ("LATENT",),
                "denoise": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.01}),
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "sample"
    CATEGORY = "dgx-pixels"

    def sample(self, model, seeds, steps, cfg, sampler_name, scheduler, positive, negative, latent_image,
               denoise=1.0):
        seeds = [int(s) & 0xFFFFFFFFFFFFFFFF for s in _parse_list(seeds, "seeds")]
        latent = comfy.sample.fix_empty_latent_channels(model, latent_image["samples"])
        if latent.shape[0] != len(seeds):
            raise ValueError(f"{len(seeds)} seeds for a batch of {latent.shape[0]}")
        noise = torch.cat([comfy.sample.prepare_noise(latent[i:i + 1], seed) for i, seed in enumerate(seeds)])
        callback = latent_preview.prepare_callback(model, steps)
        samples = comfy.sample.sample(model, noise, steps, cfg, sampler_name, scheduler, positive, negative, latent,
                                      denoise=denoise, noise_mask=latent_image.get("noise_mask"), callback=callback,
                                      disable_pbar=not comfy.utils.PROGRESS_BAR_ENABLED, seed=seeds[0])
        out = latent_image.copy()
        out["samples"] = samples
        return (out,)


def _convolutions(module):
    return [(name, m) for name, m in module.named_modules() if isinstance(m, torch.nn.Conv2d)]


class DgxPixelsSeamless:
    """A MODEL whose UNet convolutions pad circularly, so what it draws tiles without a seam."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"model": ("MODEL",)}}

    RETURN_TYPES = ("MODEL",)
    FUNCTION = "patch"
    CATEGORY = "dgx-pixels"

    def patch(self, model):
        seamless = model.clone()
        for name, _ in _convolutions(seamless.get_model_object("diffusion_model")):
            seamless.add_object_patch("diffusion_model.%s.padding_mode" % name, "circular")
        return (seamless,)


class DgxPixelsSeamlessVAEDecode:
    """VAEDecode with the VAE's convolutions padding circularly while it decodes."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"samples": ("LATENT",), "vae": ("VAE",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "decode"
    CATEGORY = "dgx-pixels"

    def decode(self, samples, vae):
        convolutions = [m for _, m in _convolutions(vae.first_stage_model)]
        modes = [m.padding_mode for m in convolutions]
        try:
            for m in convolutions:
                m.padding_mode = "circular"
            images = vae.decode(samples["samples"])
        finally:
            for m, mode in zip(convolutions, modes):
                m.padding_mode = mode
        if len(images.shape) == 5:  # batches of batches, as VAEDecode combines them
            images = images.reshape(-1, images.shape[-3], images.shape[-2], images.shape[-1])
        return (images,)


NODE_CLASS_MAPPINGS = {
    "DgxPixelsTextBatch": DgxPixelsTextBatch,
    "DgxPixelsBatchKSampler": DgxPixelsBatchKSampler,
    "DgxPixelsSeamless": DgxPixelsSeamless,
    "DgxPixelsSeamlessVAEDecode": DgxPixelsSeamlessVAEDecode,
    **send.NODE_CLASS_MAPPINGS,
    **train.NODE_CLASS_MAPPINGS,
}

NODE_DISPLAY_NAME_MAPPINGS = {
    "DgxPixelsTextBatch": "Text batch (dgx-pixels)",
    "DgxPixelsBatchKSampler": "KSampler, seed per item (dgx-pixels)",
    "DgxPixelsSeamless": "Seamless model (dgx-pixels)",
    "DgxPixelsSeamlessVAEDecode": "VAE decode, seamless (dgx-pixels)",
    "DgxPixelsSendImages": "Send images over the WebSocket (dgx-pixels)",
    **train.NODE_DISPLAY_NAME_MAPPINGS,
}
