"""Writes the pixelize speed inputs into a folder: in0.png, in1.png, ... (1024x1024 RGB).

The fidelity bench's own degrader (blocks of ~32 px, blur, noise, JPEG, backdrop) applied to its
32x32 truth sprites, padded or cropped to exactly 1024x1024 and saved by PIL at compression 6,
like a generator's output. Deterministic: the same bench gives the same files.

    python bench_inputs.py FIDELITY_BENCH OUT_DIR    # with the fidelity bench venv's python
"""
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

bench, work = Path(sys.argv[1]), Path(sys.argv[2])
sys.path.insert(0, str(bench))
import degrade  # noqa: E402  (the bench folder is only known at run time)

names = sorted(p for p in (bench / "data" / "truth").glob("*.png") if Image.open(p).size == (32, 32))
for i, path in enumerate(names):
    rgba = np.array(Image.open(path).convert("RGBA"))
    rng = np.random.default_rng(1234 ^ zlib.crc32(path.stem.encode()))
    img, _ = degrade.degrade(rgba, rng, fit1024=True)
    a = np.asarray(img)[:1024, :1024]
    a = np.pad(a, ((0, 1024 - a.shape[0]), (0, 1024 - a.shape[1]), (0, 0)), mode="edge")
    Image.fromarray(a, "RGB").save(work / f"in{i}.png", compress_level=6)
print(f"{len(names)} inputs, 1024x1024 RGB", file=sys.stderr)
