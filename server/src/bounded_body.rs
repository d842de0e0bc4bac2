//! [`read_bounded`]: an HTTP response body read chunk by chunk up to a limit, so a peer that
//! answers without end (a ComfyUI image, a game's BRP answer) cannot fill the server's memory.

/// The body of `response`; `None` once it runs past `max` bytes (nothing more is read).
pub(crate) async fn read_bounded(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > max {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}
