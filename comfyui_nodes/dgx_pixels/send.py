"""``DgxPixelsSendImages``: a prompt's images straight to the client that queued it, as raw
pixels over ComfyUI's WebSocket.

``PreviewImage`` encodes every image as a PNG into ComfyUI's temp folder; the server then asks
``/history`` for their names, fetches each from ``/view`` and decodes the PNG again. For a fast
one-frame sprite (a 512² canvas, 4 steps: about a third of a second on an H100) that round trip
is a share worth saving. This output node sends each image as one binary WebSocket message to
the prompt's client instead, and the server takes the frames from the socket it already follows.

A message, after ComfyUI's own 4-byte big-endian event type (``FRAME_EVENT``): a 4-byte
big-endian length, that many bytes of a JSON header (``prompt_id``, ``index``, ``count``,
``width``, ``height``, ``channels``), then ``width * height * channels`` bytes of 8-bit pixels,
row by row. Pixels are quantised exactly as ``PreviewImage`` quantises its PNGs (255·x, clipped,
truncated), so both ways give the same frame.

Its UI output, ``{"dgx_pixels_frames": [count]}``, lands in ``/history``: a client whose socket
dropped while the frames went out can tell they were sent, and asks for them again (the server
sends the same prompt with ``PreviewImage``; ComfyUI's cache makes that only the save).
The node always runs (``IS_CHANGED`` is NaN), so a prompt whose every other node is cached still
sends its frames.
"""

import json
import struct

import numpy as np

from comfy_execution.utils import get_executing_context
from server import PromptServer

# "DGXF": clear of ComfyUI's own binary event types (1-4).
FRAME_EVENT = 0x44475846


class DgxPixelsSendImages:
    """Sends each image to the prompt's client as one binary WebSocket message."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE",)}}

    RETURN_TYPES = ()
    FUNCTION = "send"
    OUTPUT_NODE = True
    CATEGORY = "dgx-pixels"

    @classmethod
    def IS_CHANGED(cls, images):
        return float("nan")

    def send(self, images):
        server = PromptServer.instance
        context = get_executing_context()
        prompt_id = context.prompt_id if context is not None else server.last_prompt_id
        count = int(images.shape[0])
        for index, image in enumerate(images):
            pixels = np.clip(255.0 * image.cpu().numpy(), 0, 255).astype(np.uint8)
            height, width, channels = pixels.shape
            header = json.dumps({"prompt_id": prompt_id, "index": index, "count": count, "width": width,
                                 "height": height, "channels": channels}).encode()
            if server.client_id is not None:
                server.send_sync(FRAME_EVENT, struct.pack(">I", len(header)) + header + pixels.tobytes(),
                                 server.client_id)
        return {"ui": {"dgx_pixels_frames": [count]}}


NODE_CLASS_MAPPINGS = {"DgxPixelsSendImages": DgxPixelsSendImages}
