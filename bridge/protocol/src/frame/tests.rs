//! Tests for the frame codec.

use proptest::prelude::*;
use serde_json::json;

use super::*;

fn header(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn body(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

#[test]
fn round_trip_with_attachments() {
    let frame = Frame {
        header: header(json!({"id": 1, "op": "publish", "msg": {"data": {"$bin": 0}}})),
        attachments: vec![vec![0, 1, 2, 255], vec![]],
    };
    let bytes = frame.encode(DEFAULT_MAX_FRAME).unwrap();
    let (decoded, used) = decode(&bytes, DEFAULT_MAX_FRAME).unwrap().unwrap();
    assert_eq!(used, bytes.len());
    assert_eq!(decoded, frame);
}

#[test]
fn exact_layout() {
    let bytes = Frame::new(header(json!({"a": 1}))).encode(DEFAULT_MAX_FRAME).unwrap();
    assert_eq!(bytes, b"\0\0\0\x0b\0\0\0\x07{\"a\":1}".to_vec());
}

#[test]
fn incomplete_needs_more() {
    let bytes = Frame::new(header(json!({"a": 1}))).encode(DEFAULT_MAX_FRAME).unwrap();
    for cut in 0..bytes.len() {
        assert_eq!(decode(&bytes[..cut], DEFAULT_MAX_FRAME), Ok(None), "cut {cut}");
    }
}

#[test]
fn two_frames_in_one_buffer() {
    let mut bytes = Frame::new(header(json!({"a": 1}))).encode(DEFAULT_MAX_FRAME).unwrap();
    let first = bytes.len();
    bytes.extend(Frame::new(header(json!({"b": 2}))).encode(DEFAULT_MAX_FRAME).unwrap());
    let (_, used) = decode(&bytes, DEFAULT_MAX_FRAME).unwrap().unwrap();
    assert_eq!(used, first);
    let (f, _) = decode(&bytes[used..], DEFAULT_MAX_FRAME).unwrap().unwrap();
    assert_eq!(f.header["b"], 2);
}

#[test]
fn oversized_prefix_rejected_before_body_arrives() {
    let bytes = 1000u32.to_be_bytes();
    assert_eq!(decode(&bytes, 100), Err(FrameError::TooLarge { len: 1000, max: 100 }));
}

#[test]
fn encode_oversized_rejected() {
    let frame = Frame { header: Map::new(), attachments: vec![vec![0; 200]] };
    assert!(matches!(frame.encode(100), Err(FrameError::TooLarge { .. })));
}

#[test]
fn too_short_body() {
    assert_eq!(decode(&framed(b"\0\0"), DEFAULT_MAX_FRAME), Err(FrameError::TooShort { len: 2 }));
}

#[test]
fn truncated_header() {
    let mut b = body(&[b"{}"]);
    b[3] = 50;
    assert!(matches!(
        decode(&framed(&b), DEFAULT_MAX_FRAME),
        Err(FrameError::Truncated { what: "header", .. })
    ));
}

#[test]
fn truncated_attachment() {
    let mut b = body(&[b"{}", b"abc"]);
    let n = b.len();
    b.truncate(n - 1);
    assert!(matches!(
        decode(&framed(&b), DEFAULT_MAX_FRAME),
        Err(FrameError::Truncated { what: "attachment", .. })
    ));
    let mut b = body(&[b"{}"]);
    b.extend_from_slice(&[0, 0]);
    assert!(matches!(
        decode(&framed(&b), DEFAULT_MAX_FRAME),
        Err(FrameError::Truncated { need: 4, .. })
    ));
}

#[test]
fn invalid_json_and_non_object() {
    assert!(matches!(
        decode(&framed(&body(&[b"{nope"])), DEFAULT_MAX_FRAME),
        Err(FrameError::InvalidJson { .. })
    ));
    assert!(matches!(
        decode(&framed(&body(&[b"\xff\xfe"])), DEFAULT_MAX_FRAME),
        Err(FrameError::InvalidJson { .. })
    ));
    assert_eq!(
        decode(&framed(&body(&[b"[1]"])), DEFAULT_MAX_FRAME),
        Err(FrameError::HeaderNotObject)
    );
}

#[test]
fn too_many_attachments() {
    let mut parts: Vec<&[u8]> = vec![b"{}"];
    parts.extend(std::iter::repeat_n(&b""[..], MAX_ATTACHMENTS + 1));
    assert_eq!(
        decode(&framed(&body(&parts)), DEFAULT_MAX_FRAME),
        Err(FrameError::TooManyAttachments)
    );
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes, 256);
        let _ = decode_body(&bytes);
        if let Ok(Some((frame, _))) = decode(&bytes, DEFAULT_MAX_FRAME) {
            let _ = crate::Request::from_frame(frame);
        }
    }

    #[test]
    fn arbitrary_body_behind_valid_prefix_never_panics(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let bytes = framed(&body);
        if let Ok(Some((frame, used))) = decode(&bytes, DEFAULT_MAX_FRAME) {
            prop_assert_eq!(used, bytes.len());
            let _ = crate::Request::from_frame(frame.clone());
            let _ = crate::ServerMessage::from_frame(frame);
        }
    }

    #[test]
    fn round_trip_arbitrary_attachments(atts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..8), n in any::<u64>()) {
        let frame = Frame { header: header(json!({"n": n})), attachments: atts };
        let bytes = frame.encode(DEFAULT_MAX_FRAME).unwrap();
        let (decoded, used) = decode(&bytes, DEFAULT_MAX_FRAME).unwrap().unwrap();
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(decoded, frame);
    }
}
