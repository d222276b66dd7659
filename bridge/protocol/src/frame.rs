//! Frame layout and codec: `u32` BE body length, then `u32` BE header length, a JSON object
//! header and zero or more attachments, each `u32` BE length + raw bytes.

use serde_json::{Map, Value};

#[cfg(test)]
mod tests;

/// Default maximum body length (64 MiB), excluding the 4-byte length prefix.
pub const DEFAULT_MAX_FRAME: usize = 64 * 1024 * 1024;
/// Maximum number of attachments in one frame.
pub const MAX_ATTACHMENTS: usize = 1024;
/// Smallest valid body: the header length field plus `{}`.
const MIN_BODY: usize = 4 + 2;

/// One protocol frame: a JSON object header plus binary attachments.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frame {
    pub header: Map<String, Value>,
    pub attachments: Vec<Vec<u8>>,
}

/// Why a byte sequence is not a valid frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error("frame body of {len} bytes is shorter than the minimum of {MIN_BODY} bytes")]
    TooShort { len: usize },
    #[error("truncated {what}: needs {need} bytes, {have} left in the frame body")]
    Truncated { what: &'static str, need: usize, have: usize },
    #[error("more than {MAX_ATTACHMENTS} attachments")]
    TooManyAttachments,
    #[error("header is not valid JSON: {message}")]
    InvalidJson { message: String },
    #[error("header is JSON but not an object")]
    HeaderNotObject,
}

impl Frame {
    /// A frame with a header and no attachments.
    pub fn new(header: Map<String, Value>) -> Self {
        Frame { header, attachments: Vec::new() }
    }

    /// Encodes the frame including its length prefix; fails if the body exceeds `max_frame`
    /// or there are too many attachments.
    pub fn encode(&self, max_frame: usize) -> Result<Vec<u8>, FrameError> {
        let attachments: Vec<&[u8]> = self.attachments.iter().map(Vec::as_slice).collect();
        encode_parts(&self.header, &attachments, max_frame)
    }
}

/// Encodes a frame from a header and borrowed attachments (one copy of each, into the frame),
/// as [`Frame::encode`] does.
pub fn encode_parts(
    header: &Map<String, Value>,
    attachments: &[&[u8]],
    max_frame: usize,
) -> Result<Vec<u8>, FrameError> {
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(FrameError::TooManyAttachments);
    }
    let header = serde_json::to_vec(header)
        .map_err(|e| FrameError::InvalidJson { message: e.to_string() })?;
    let body_len = 4 + header.len() + attachments.iter().map(|a| 4 + a.len()).sum::<usize>();
    if body_len > max_frame || body_len > u32::MAX as usize {
        return Err(FrameError::TooLarge { len: body_len, max: max_frame });
    }
    let mut out = Vec::with_capacity(4 + body_len);
    push_len(&mut out, body_len);
    push_len(&mut out, header.len());
    out.extend_from_slice(&header);
    for attachment in attachments {
        push_len(&mut out, attachment.len());
        out.extend_from_slice(attachment);
    }
    Ok(out)
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    // Callers have checked that len fits in u32.
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
}

fn read_u32(buf: &[u8]) -> Option<usize> {
    let bytes: [u8; 4] = buf.get(..4)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes) as usize)
}

/// Reads the length prefix: `Ok(None)` if fewer than 4 bytes are buffered, otherwise the body
/// length, validated against `max_frame`.
pub fn body_len(buf: &[u8], max_frame: usize) -> Result<Option<usize>, FrameError> {
    let Some(len) = read_u32(buf) else {
        return Ok(None);
    };
    if len > max_frame {
        return Err(FrameError::TooLarge { len, max: max_frame });
    }
    if len < MIN_BODY {
        return Err(FrameError::TooShort { len });
    }
    Ok(Some(len))
}

/// Decodes one frame from the start of `buf`. `Ok(None)` means more bytes are needed;
/// `Ok(Some((frame, consumed)))` returns the frame and how many bytes it used.
///
/// On `Err`, the length prefix was readable unless the error is `TooLarge`/`TooShort`; a
/// stream reader can skip `4 + body_len` bytes after a body error and stay in sync.
pub fn decode(buf: &[u8], max_frame: usize) -> Result<Option<(Frame, usize)>, FrameError> {
    let Some(len) = body_len(buf, max_frame)? else {
        return Ok(None);
    };
    let Some(body) = buf.get(4..4 + len) else {
        return Ok(None);
    };
    Ok(Some((decode_body(body)?, 4 + len)))
}

/// Decodes a frame body (everything after the length prefix).
pub fn decode_body(body: &[u8]) -> Result<Frame, FrameError> {
    if body.len() < MIN_BODY {
        return Err(FrameError::TooShort { len: body.len() });
    }
    let mut rest = body;
    let header = take_chunk(&mut rest, "header")?;
    let value: Value = serde_json::from_slice(header)
        .map_err(|e| FrameError::InvalidJson { message: e.to_string() })?;
    let Value::Object(header) = value else {
        return Err(FrameError::HeaderNotObject);
    };
    let mut attachments = Vec::new();
    while !rest.is_empty() {
        if attachments.len() == MAX_ATTACHMENTS {
            return Err(FrameError::TooManyAttachments);
        }
        attachments.push(take_chunk(&mut rest, "attachment")?.to_vec());
    }
    Ok(Frame { header, attachments })
}

fn take_chunk<'a>(rest: &mut &'a [u8], what: &'static str) -> Result<&'a [u8], FrameError> {
    let Some(len) = read_u32(rest) else {
        return Err(FrameError::Truncated { what, need: 4, have: rest.len() });
    };
    let Some(chunk) = rest.get(4..).and_then(|r| r.get(..len)) else {
        return Err(FrameError::Truncated { what, need: len, have: rest.len() - 4 });
    };
    *rest = &rest[4 + len..];
    Ok(chunk)
}
