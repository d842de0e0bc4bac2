"""Drives dgx-pixels' MCP endpoint with the official MCP Python SDK, a client we did not write.

Run by scripts/mcp_test.sh, which starts `dgx-pixels serve` with `--allow-root ROOT` and a token.
Checks, over streamable HTTP:
  * the token applies to /mcp;
  * tools/list has all eleven tools, each with a description and an object input schema;
  * generate_sprite (procedural backend) returns the job, absolute file URLs and a PNG preview,
    and with `directions: 8` a sheet of a row per facing;
  * deploy_to_bevy writes NAME.png, NAME.atlas.ron and NAME.sprite.ron into a Bevy project
    inside the root;
  * a table of path-escape and bad-argument attempts is refused, each as a tool error, the
    session staying usable, with nothing written outside the root and no file in the root
    changed (the trees are hashed before and after);
and over stdio (`dgx-pixels mcp --stdio`): tools/list and one generate_sprite; with
`--server URL` the jobs run on that server (the job is there, over its HTTP API, with the token)
while deploy_to_bevy writes here, and a wrong token is a tool error.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import struct
import sys
import urllib.error
import urllib.request
import zlib
from pathlib import Path

from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

TOOLS = {
    "generate_sprite", "generate_batch", "get_job", "list_styles", "pixelize_image", "deploy_to_bevy",
    "list_sprites", "spawn_sprite", "apply_to_entity", "screenshot", "train_style",
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def tiny_png() -> str:
    """A 2x2 RGBA PNG as base64: a real image, too small to hold any pixel grid."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00\xff" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 6, 0, 0, 0)
    png = PNG_MAGIC + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return base64.b64encode(png).decode()


def checker_png(cells: int, side: int) -> str:
    """A `cells` x `cells` checkerboard drawn with `side`-pixel squares, as base64 PNG: fake
    pixel art on an exact grid."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    n = cells * side
    dark, red = b"\x14\x14\x14", b"\xe6\x28\x28"
    rows = b"".join(
        b"\x00" + b"".join(dark if (x // side + y // side) % 2 == 0 else red for x in range(n)) for y in range(n)
    )
    header = struct.pack(">IIBBBBB", n, n, 8, 2, 0, 0, 0)
    png = PNG_MAGIC + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return base64.b64encode(png).decode()


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def text_of(result) -> str:
    return "".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def tree_digest(folder: Path) -> dict[str, str]:
    """Every entry under `folder`: files by content hash, symlinks by target, folders by name."""
    entries: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            entries[key] = "link:" + os.readlink(path)
        elif path.is_dir():
            entries[key] = "dir"
        else:
            entries[key] = "file:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


def make_fixtures(tmp: Path) -> tuple[Path, Path]:
    """A root holding the Bevy project `game` and trap folders, and a folder outside the root."""
    root, outside = tmp / "root", tmp / "outside"
    (root / "game").mkdir(parents=True)
    (root / "game" / "Cargo.toml").write_text('[package]\nname = "game"\n')
    outside.mkdir()
    (outside / "Cargo.toml").write_text('[package]\nname = "victim"\n')
    (outside / "assets" / "characters").mkdir(parents=True)
    (root / "sneaky").symlink_to(outside)  # a project symlink leading out
    (root / "linked").mkdir()
    (root / "linked" / "Cargo.toml").write_text("[package]\n")
    (root / "linked" / "assets").symlink_to(outside / "assets")  # an assets symlink leading out
    (root / "game" / "assets").mkdir()
    (root / "game" / "assets" / "evil").symlink_to(outside)  # a category symlink leading out
    # Targets that are symlinks, which overwrite: true must refuse rather than replace.
    props = root / "game" / "assets" / "props"
    props.mkdir()
    (root / "game" / "kept.png").write_bytes(PNG_MAGIC)
    (props / "lamp.png").symlink_to(root / "game" / "kept.png")
    (props / "torch.atlas.ron").symlink_to(root / "game" / "Cargo.toml")
    return root, outside


async def http_checks(url: str, token: str, root: Path, outside: Path) -> list[tuple[str, str]]:
    # The token applies: no Authorization, no MCP.
    request = urllib.request.Request(url, data=b"{}", method="POST", headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("/mcp answered without the token")
    except urllib.error.HTTPError as err:
        check(err.code == 401, f"/mcp without a token answered {err.code}, not 401")

    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with Client(streamable_http_client(url, http_client=http)) as client:
        tools = (await client.list_tools()).tools
        names = {tool.name for tool in tools}
        check(names == TOOLS, f"tools/list gave {sorted(names)}")
        for tool in tools:
            check(len(tool.description or "") > 40, f"{tool.name} has no useful description")
            check(tool.input_schema.get("type") == "object", f"{tool.name} schema is not an object")
        gen_schema = next(tool for tool in tools if tool.name == "generate_sprite").input_schema
        check("prompt" in gen_schema["properties"] and gen_schema.get("required") == ["prompt"], "generate schema")
        print(f"tools/list: {len(tools)} tools with schemas")

        # No game is running on the server's --game address: a clear error, no hang.
        absent = await client.call_tool("list_sprites", {})
        check(absent.is_error and "no game answers" in text_of(absent), f"list_sprites without a game: {text_of(absent)}")

        styles = await client.call_tool("list_styles", {})
        check(not styles.is_error and "styles" in styles.structured_content, f"list_styles: {text_of(styles)}")

        result = await client.call_tool(
            "generate_sprite",
            {"prompt": "knight, walk cycle", "frames": 4, "backend": "procedural", "seed": 7, "wait_seconds": 60},
        )
        check(not result.is_error, f"generate_sprite failed: {text_of(result)}")
        report = result.structured_content
        check(report["job"]["status"] == "completed", f"job not completed: {report['job']['status']}")
        check(report["job"]["result"]["grid_confidence"] >= 0.5, f"grid confidence: {report['job']['result']}")
        job_id = report["job"]["id"]
        check(report["files"]["sheet"].startswith("http://"), f"file URL not absolute: {report['files']}")
        images = [block for block in result.content if getattr(block, "type", "") == "image"]
        check(len(images) == 1 and images[0].mime_type == "image/png", "no preview image")
        check(base64.b64decode(images[0].data).startswith(PNG_MAGIC), "preview is not a PNG")
        with urllib.request.urlopen(
            urllib.request.Request(report["files"]["sheet"], headers={"Authorization": f"Bearer {token}"}),
            timeout=10,
        ) as response:
            check(response.read().startswith(PNG_MAGIC), "the sheet URL does not serve a PNG")
        print(f"generate_sprite: job {job_id} completed, preview {len(images[0].data)} base64 chars")

        turning = await client.call_tool(
            "generate_sprite",
            {"prompt": "knight, walk cycle", "frames": 2, "directions": 8, "seed": 3, "wait_seconds": 60},
        )
        check(not turning.is_error, f"generate_sprite with directions failed: {text_of(turning)}")
        turned = turning.structured_content["job"]
        check(turned["result"]["frames"] == 16 and turned["request"]["directions"] == 8, f"8 facings: {turned}")
        check("directions" in gen_schema["properties"] and "mirror" in gen_schema["properties"], "facings schema")
        print("generate_sprite: an 8-direction sheet of 16 cells")

        pixelized = await client.call_tool(
            "pixelize_image", {"image_base64": checker_png(8, 10), "colors": 2, "background": "keep"}
        )
        check(not pixelized.is_error, f"pixelize_image failed: {text_of(pixelized)}")
        found = pixelized.structured_content
        check((found["width"], found["height"]) == (8, 8), f"pixelize_image size: {found}")
        check(found["grid_confidence"] >= 0.9 and "unsure" not in found, f"pixelize_image confidence: {found}")
        forced = (await client.call_tool(
            "pixelize_image", {"image_base64": checker_png(8, 10), "size": "10x10", "background": "keep"}
        )).structured_content
        check(forced["grid_confidence"] < 0.5 and "may not lie" in forced["unsure"], f"10x10 on an 8x8 grid: {forced}")
        print(f"pixelize_image: 8x8 found with confidence {found['grid_confidence']:.2f}, 10x10 flagged unsure")

        job = await client.call_tool("get_job", {"job_id": job_id})
        check(not job.is_error and job.structured_content["job"]["id"] == job_id, "get_job")

        batch = await client.call_tool(
            "generate_batch", {"requests": [{"prompt": "coin"}, {"prompt": "gem", "frames": 2}], "wait_seconds": 60}
        )
        check(not batch.is_error and len(batch.structured_content["jobs"]) == 2, f"generate_batch: {text_of(batch)}")

        deployed = await client.call_tool(
            "deploy_to_bevy",
            {"job_id": job_id, "bevy_project": str(root / "game"), "category": "characters", "name": "knight"},
        )
        check(not deployed.is_error, f"deploy_to_bevy failed: {text_of(deployed)}")
        folder = root / "game" / "assets" / "characters"
        for ending in ("png", "atlas.ron", "sprite.ron"):
            check((folder / f"knight.{ending}").is_file(), f"knight.{ending} not written")
        check((folder / "knight.png").read_bytes().startswith(PNG_MAGIC), "deployed sheet is not a PNG")
        check("name: \"knight\"" in (folder / "knight.sprite.ron").read_text(), "sprite.ron name not set")
        check(deployed.structured_content["asset_path"] == "characters/knight.png", "asset_path")
        print(f"deploy_to_bevy: wrote {folder}/knight.{{png,atlas.ron,sprite.ron}}")

        root_before, outside_before = tree_digest(root), tree_digest(outside)
        game = str(root / "game")
        good = {"job_id": job_id, "bevy_project": game, "category": "characters", "name": "knight2"}
        attempts = [
            ("project outside the root (absolute)", "deploy_to_bevy", {**good, "bevy_project": str(outside)}),
            ("project climbing out (../outside)", "deploy_to_bevy", {**good, "bevy_project": "../outside"}),
            ("project climbing out from inside", "deploy_to_bevy", {**good, "bevy_project": game + "/../../outside"}),
            ("project symlink leading outside", "deploy_to_bevy", {**good, "bevy_project": str(root / "sneaky")}),
            ("assets folder symlink leading outside", "deploy_to_bevy", {**good, "bevy_project": str(root / "linked")}),
            ("category symlink leading outside", "deploy_to_bevy", {**good, "category": "evil"}),
            ("category ../..", "deploy_to_bevy", {**good, "category": "../.."}),
            ("absolute category", "deploy_to_bevy", {**good, "category": "/tmp"}),
            ("nested category a/b", "deploy_to_bevy", {**good, "category": "a/b"}),
            ("empty category", "deploy_to_bevy", {**good, "category": ""}),
            ("name ../x", "deploy_to_bevy", {**good, "name": "../x"}),
            ("name with extension and capitals", "deploy_to_bevy", {**good, "name": "Knight.png"}),
            ("name of 65 characters", "deploy_to_bevy", {**good, "name": "a" * 65}),
            ("name with a NUL byte", "deploy_to_bevy", {**good, "name": "kn\u0000ight"}),
            ("existing files without overwrite", "deploy_to_bevy", {**good, "name": "knight"}),
            ("the root itself (no Cargo.toml)", "deploy_to_bevy", {**good, "bevy_project": str(root)}),
            ("missing project", "deploy_to_bevy", {**good, "bevy_project": str(root / "nope")}),
            ("unknown job", "deploy_to_bevy", {**good, "job_id": "0" * 32}),
            ("path-like job id", "deploy_to_bevy", {**good, "job_id": "../../etc/passwd"}),
            ("misspelt argument", "deploy_to_bevy", {**good, "overwrit": True}),
            ("overwrite of the wrong type", "deploy_to_bevy", {**good, "overwrite": "yes"}),
            (
                "overwrite onto a symlinked .png",
                "deploy_to_bevy",
                {**good, "category": "props", "name": "lamp", "overwrite": True},
            ),
            (
                "overwrite onto a symlinked .ron",
                "deploy_to_bevy",
                {**good, "category": "props", "name": "torch", "overwrite": True},
            ),
            ("missing category", "deploy_to_bevy", {k: v for k, v in good.items() if k != "category"}),
            ("frames out of range", "generate_sprite", {"prompt": "x", "frames": 0}),
            ("directions not 1, 4 or 8", "generate_sprite", {"prompt": "x", "directions": 6}),
            ("too many cells", "generate_sprite", {"prompt": "x", "directions": 8, "frames": 9}),
            ("unknown generate field", "generate_sprite", {"prompt": "x", "colour": 4}),
            ("negative wait", "generate_sprite", {"prompt": "x", "wait_seconds": -1}),
            ("batch of 21", "generate_batch", {"requests": [{"prompt": "x"}] * 21}),
            ("bad request inside a batch", "generate_batch", {"requests": [{"prompt": "x"}, {"prompt": ""}]}),
            ("unknown job for get_job", "get_job", {"job_id": "nope"}),
            ("not base64", "pixelize_image", {"image_base64": "%%%"}),
            ("bad pixelize size", "pixelize_image", {"image_base64": tiny_png(), "size": "0x0"}),
            ("arguments to list_styles", "list_styles", {"verbose": True}),
        ]
        table = []
        for label, tool, arguments in attempts:
            outcome = await client.call_tool(tool, arguments)
            message = text_of(outcome).replace("\n", " ")
            check(outcome.is_error, f"ACCEPTED: {label}: {message}")
            table.append((label, message))
        # The transport is still usable after every refusal.
        check({tool.name for tool in (await client.list_tools(cache_mode="bypass")).tools} == TOOLS, "session broken")
        check(tree_digest(outside) == outside_before, "something was written outside the root")
        check(tree_digest(root) == root_before, "a file inside the root changed")

        # And overwrite: true is the one way to replace files.
        replaced = await client.call_tool("deploy_to_bevy", {**good, "name": "knight", "overwrite": True})
        check(not replaced.is_error, f"overwrite: true refused: {text_of(replaced)}")
    return table


async def stdio_checks(binary: str, tmp: Path, root: Path) -> None:
    params = StdioServerParameters(
        command=binary,
        args=["mcp", "--stdio", "--data-dir", str(tmp / "stdio-data"), "--allow-root", str(root)],
        env={**os.environ, "RUST_LOG": "warn"},
    )
    async with Client(params) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        check(names == TOOLS, f"stdio tools/list gave {sorted(names)}")
        result = await client.call_tool("generate_sprite", {"prompt": "slime", "wait_seconds": 60})
        check(not result.is_error, f"stdio generate_sprite: {text_of(result)}")
        check(result.structured_content["job"]["status"] == "completed", "stdio job not completed")
        check(result.structured_content["files"]["sheet"].startswith("http://127.0.0.1:"), "stdio file URL")
        check(any(getattr(block, "type", "") == "image" for block in result.content), "stdio preview")
    print("stdio: tools/list and generate_sprite work over `dgx-pixels mcp --stdio`")


async def stdio_remote_checks(binary: str, tmp: Path, root: Path, server: str, token: str) -> None:
    def stdio(with_token: str) -> StdioServerParameters:
        return StdioServerParameters(
            command=binary,
            args=["mcp", "--stdio", "--data-dir", str(tmp / "stdio-remote-data"), "--allow-root", str(root),
                  "--server", server],
            env={**os.environ, "RUST_LOG": "warn", "DGX_PIXELS_TOKEN": with_token},
        )

    async with Client(stdio(token)) as client:
        result = await client.call_tool("generate_sprite", {"prompt": "remote bat", "seed": 3, "wait_seconds": 60})
        check(not result.is_error, f"remote generate_sprite: {text_of(result)}")
        job = result.structured_content["job"]
        check(job["status"] == "completed", f"remote job {job['status']}")
        check(result.structured_content["files"]["sheet"].startswith(server), "file URLs name the remote server")
        request = urllib.request.Request(f"{server}/api/v1/jobs/{job['id']}",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            check(json.loads(answer.read())["id"] == job["id"], "the job is not on the remote server")
        styles = await client.call_tool("list_styles", {})
        check(not styles.is_error and "styles" in styles.structured_content, f"remote list_styles: {text_of(styles)}")
        deployed = await client.call_tool("deploy_to_bevy", {
            "job_id": job["id"], "bevy_project": str(root / "game"), "category": "remote", "name": "bat",
        })
        check(not deployed.is_error, f"deploy of a remote job: {text_of(deployed)}")
        sheet = Path(deployed.structured_content["sheet"])
        request = urllib.request.Request(f"{server}/api/v1/jobs/{job['id']}/sheet.png",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            check(sheet.read_bytes() == answer.read(), "the deployed sheet is not the remote job's")
        missing = await client.call_tool("get_job", {"job_id": "not-a-job"})
        check(missing.is_error and "not-a-job" in text_of(missing), f"remote unknown job: {text_of(missing)}")
    async with Client(stdio("wrong-token")) as client:
        refused = await client.call_tool("generate_sprite", {"prompt": "bat"})
        check(refused.is_error and "DGX_PIXELS_TOKEN" in text_of(refused), f"a wrong token: {text_of(refused)}")
    print("stdio --server: jobs run on the remote server, deploy_to_bevy writes here, a wrong token is refused")


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--tmp", required=True, type=Path)
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    root, outside = args.tmp / "root", args.tmp / "outside"
    table = await http_checks(args.url, args.token, root, outside)
    print(f"\n{len(table)} attempts, all refused as tool errors (session kept, trees unchanged):")
    for label, message in table:
        print(f"  refused  {label:40} {message[:110]}")
    await stdio_checks(args.bin, args.tmp, root)
    await stdio_remote_checks(args.bin, args.tmp, root, args.url.removesuffix("/mcp"), args.token)
    print("\nMCP client test: PASS")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "fixtures":
        make_fixtures(Path(sys.argv[2]))
        sys.exit(0)
    sys.exit(asyncio.run(asyncio.wait_for(main(), timeout=240)))
