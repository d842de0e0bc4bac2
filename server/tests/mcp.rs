//! The MCP endpoint driven by a client we did not write: runs `scripts/mcp_test.sh`, which
//! puts the official MCP Python SDK (PyPI `mcp`) in a virtualenv outside the repository and runs
//! `scripts/mcp/client_test.py` against this build's `dgx-pixels` (streamable HTTP at `/mcp` with a
//! token, and `dgx-pixels mcp --stdio`). That covers tools/list, generate, deploy and a table of
//! path-escape and bad-argument attempts that must all be refused.
//!
//! Where Python or PyPI is unavailable the script exits 77 and this test is skipped with a note,
//! except under CI (`CI` set), where that is a failure.

use std::path::Path;
use std::process::Command;

/// Exit status of the script when its prerequisites cannot be set up.
const UNAVAILABLE: i32 = 77;

/// The official Python SDK lists, calls and is refused as the issue requires.
#[test]
fn official_python_sdk_drives_the_mcp_endpoint() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the server crate sits in the workspace");
    let output = Command::new("bash")
        .arg(repo.join("scripts/mcp_test.sh"))
        .env("DGX_PIXELS_BIN", env!("CARGO_BIN_EXE_dgx-pixels"))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(UNAVAILABLE) && std::env::var_os("CI").is_none() {
        eprintln!("skipped: the MCP Python SDK is unavailable here (set CI=1 to make this a failure)\n{stderr}");
        return;
    }
    assert!(output.status.success(), "scripts/mcp_test.sh failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(stdout.contains("MCP client test: PASS"), "{stdout}");
}
