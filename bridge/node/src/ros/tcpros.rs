//! TCPROS framing on tokio streams: connection headers (`u32` total length,
//! then `u32`-prefixed `key=value` fields), `u32`-prefixed message frames, and service
//! responses (`ok` byte + `u32`-prefixed body).

use std::collections::HashMap;
use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest connection header accepted (headers are a few hundred bytes, plus the definition).
const MAX_HEADER: u32 = 1 << 20;
/// Largest message frame accepted from a publisher or service (same as our `max_frame`).
pub(crate) const MAX_MESSAGE: u32 = 64 << 20;

/// Encodes a connection header.
pub(crate) fn encode_header(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (key, value) in fields {
        let len = u32::try_from(key.len() + 1 + value.len()).unwrap_or(u32::MAX);
        body.extend_from_slice(&len.to_le_bytes());
        body.extend_from_slice(key.as_bytes());
        body.push(b'=');
        body.extend_from_slice(value.as_bytes());
    }
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// Decodes the fields of a connection header body (without its length prefix).
pub(crate) fn decode_header(mut body: &[u8]) -> io::Result<HashMap<String, String>> {
    let mut fields = HashMap::new();
    while !body.is_empty() {
        let (len, rest) = body.split_first_chunk::<4>().ok_or_else(|| bad("truncated header"))?;
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return Err(bad("truncated header field"));
        }
        let (field, rest) = rest.split_at(len);
        let field = std::str::from_utf8(field).map_err(|_| bad("header field is not UTF-8"))?;
        let (key, value) = field.split_once('=').ok_or_else(|| bad("header field without `=`"))?;
        fields.insert(key.to_owned(), value.to_owned());
        body = rest;
    }
    Ok(fields)
}

fn bad(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

async fn read_len(stream: &mut (impl AsyncRead + Unpin), max: u32) -> io::Result<usize> {
    let len = stream.read_u32_le().await?;
    if len > max {
        return Err(bad(&format!("frame of {len} bytes exceeds {max}")));
    }
    Ok(len as usize)
}

/// Reads one `u32`-prefixed block.
pub(crate) async fn read_frame(
    stream: &mut (impl AsyncRead + Unpin),
    max: u32,
) -> io::Result<Vec<u8>> {
    let len = read_len(stream, max).await?;
    let mut body = vec![0; len];
    stream.read_exact(&mut body).await?;
    Ok(body)
}

pub(crate) async fn read_header(
    stream: &mut (impl AsyncRead + Unpin),
) -> io::Result<HashMap<String, String>> {
    decode_header(&read_frame(stream, MAX_HEADER).await?)
}

pub(crate) async fn write_frame(
    stream: &mut (impl AsyncWrite + Unpin),
    body: &[u8],
) -> io::Result<()> {
    let len = u32::try_from(body.len()).map_err(|_| bad("message too large"))?;
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(body);
    stream.write_all(&out).await?;
    stream.flush().await
}

/// Reads a service response: `Ok(body)` or `Err(message)` from the server.
pub(crate) async fn read_response(
    stream: &mut (impl AsyncRead + Unpin),
) -> io::Result<Result<Vec<u8>, String>> {
    let ok = stream.read_u8().await?;
    let body = read_frame(stream, MAX_MESSAGE).await?;
    Ok(if ok == 1 { Ok(body) } else { Err(String::from_utf8_lossy(&body).into_owned()) })
}
