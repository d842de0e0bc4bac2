//! A job's events as a [`Stream`] of [`JobEvent`]s, read from `GET /api/v1/jobs/{id}/events`.
//!
//! The server sends `progress` events and ends with one `completed`, `failed` or `cancelled`;
//! the stream ends right after that terminal event. A connection lost before it yields one
//! error and ends (see [`Client::wait`](crate::Client::wait), which then falls back to polling).

use dgx_pixels_protocol::{JobEvent, JobId};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use reqwest::Method;
use reqwest::header::ACCEPT;

use crate::client::Client;
use crate::error::ClientError;

impl Client {
    /// The events of job `id` until it finishes. The stream owns what it needs, so it may
    /// outlive this borrow of the client (e.g. move into a task).
    pub fn events(&self, id: &JobId) -> impl Stream<Item = Result<JobEvent, ClientError>> + Send + use<> {
        let start = Reader::Start { client: self.clone(), path: format!("/api/v1/jobs/{id}/events") };
        futures_util::stream::unfold(start, Reader::next)
    }

    /// [`Client::events`], with a sheet job's three files in its `completed` event
    /// (`?files=inline`), which saves the three downloads after it.
    pub fn events_with_files(&self, id: &JobId) -> impl Stream<Item = Result<JobEvent, ClientError>> + Send + use<> {
        let start = Reader::Start { client: self.clone(), path: format!("/api/v1/jobs/{id}/events?files=inline") };
        futures_util::stream::unfold(start, Reader::next)
    }
}

/// Where a stream is: not yet connected, reading, or done.
enum Reader {
    Start { client: Client, path: String },
    Open { client: Client, body: BoxStream<'static, reqwest::Result<bytes::Bytes>>, parser: SseParser },
    Done,
}

impl Reader {
    async fn next(mut self) -> Option<(Result<JobEvent, ClientError>, Reader)> {
        loop {
            self = match self {
                Reader::Done => return None,
                Reader::Start { client, path } => {
                    let request = client.request(Method::GET, &path, false).header(ACCEPT, "text/event-stream");
                    match client.send(request).await {
                        Ok(response) => {
                            Reader::Open { client, body: response.bytes_stream().boxed(), parser: SseParser::default() }
                        }
                        Err(err) => return Some((Err(err), Reader::Done)),
                    }
                }
                Reader::Open { client, mut body, mut parser } => {
                    if let Some((name, data)) = parser.next_message() {
                        return Some(match JobEvent::parse(&name, &data) {
                            Ok(event) if event.is_terminal() => (Ok(event), Reader::Done),
                            Ok(event) => (Ok(event), Reader::Open { client, body, parser }),
                            Err(err) => (Err(ClientError::Protocol(err.to_string())), Reader::Done),
                        });
                    }
                    match body.next().await {
                        Some(Ok(chunk)) => {
                            parser.push(&chunk);
                            Reader::Open { client, body, parser }
                        }
                        Some(Err(err)) => return Some((Err(client.transport(err)), Reader::Done)),
                        None => {
                            let err = ClientError::Protocol("the event stream ended before the job finished".into());
                            return Some((Err(err), Reader::Done));
                        }
                    }
                }
            };
        }
    }
}

/// The text/event-stream framing: messages separated by a blank line, `event:` and `data:`
/// fields, `:` comments (the server's keep-alives) ignored.
#[derive(Default)]
struct SseParser {
    buffer: String,
}

impl SseParser {
    fn push(&mut self, chunk: &[u8]) {
        self.buffer.push_str(&String::from_utf8_lossy(chunk).replace('\r', ""));
    }

    /// The next complete message with data, as `(event name, data)`.
    fn next_message(&mut self) -> Option<(String, String)> {
        loop {
            let end = self.buffer.find("\n\n")?;
            let block: String = self.buffer.drain(..end + 2).collect();
            let mut name = String::from("message");
            let mut data: Option<String> = None;
            for line in block.lines() {
                let (field, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "event" => name = value.to_owned(),
                    "data" => match &mut data {
                        Some(data) => {
                            data.push('\n');
                            data.push_str(value);
                        }
                        None => data = Some(value.to_owned()),
                    },
                    _ => {}
                }
            }
            if let Some(data) = data {
                return Some((name, data));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SseParser;

    #[test]
    fn messages_split_on_blank_lines_across_chunks() {
        let mut parser = SseParser::default();
        parser.push(b": keep-alive\n\nevent: progress\r\ndata: {\"a\":");
        assert_eq!(parser.next_message(), None);
        parser.push(b"1}\r\n\r\nevent: completed\ndata: x\ndata: y\n\n");
        assert_eq!(parser.next_message(), Some(("progress".into(), "{\"a\":1}".into())));
        assert_eq!(parser.next_message(), Some(("completed".into(), "x\ny".into())));
        assert_eq!(parser.next_message(), None);
    }
}
