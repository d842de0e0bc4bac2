#!/usr/bin/env python3
"""Lists a degraded set of the fidelity bench, one image a line: file name, WxH, colour budget.

    python3 scripts/fidelity_list.py SET_DIR/manifest.json

What the scripts that run `dgx-pixels pixelize` over a set read (fidelity_outputs.sh,
pixelize_instructions.sh).
"""
import json
import sys

for entry in json.load(open(sys.argv[1]))["images"]:
    print(entry["degraded"], f'{entry["w"]}x{entry["h"]}', entry["colors_budget"])
