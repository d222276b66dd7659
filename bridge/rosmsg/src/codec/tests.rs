//! Unit tests of the codec: exact byte layouts and error paths on types defined inline.

use std::sync::Arc;

use serde_json::json;

use crate::{Error, MsgType, Registry};

/// A type `test/T` from inline definition text (dependencies as `MSG:` sections).
fn msg(definition: &str) -> Arc<MsgType> {
    Registry::new(Vec::new()).message_from_definition("test/T", definition).unwrap()
}

/// Encodes `value`, compares with `bytes`, and decodes back to `value`.
fn check(definition: &str, value: &serde_json::Value, bytes: &[u8]) {
    let msg = msg(definition);
    assert_eq!(msg.encode(value, &[]).unwrap(), bytes);
    let (decoded, attachments) = msg.decode(bytes).unwrap();
    assert!(attachments.is_empty());
    assert_eq!(&decoded, value);
}

#[test]
fn little_endian_layouts() {
    check(
        "int16 a\nuint32 b\nbyte c\nchar d\nbool e",
        &json!({"a": -2, "b": 258, "c": -1, "d": 200, "e": true}),
        &[0xfe, 0xff, 2, 1, 0, 0, 0xff, 200, 1],
    );
    check("string s", &json!({"s": "hé"}), &[3, 0, 0, 0, b'h', 0xc3, 0xa9]);
    check(
        "time t\nduration d",
        &json!({"t": {"secs": 1, "nsecs": 2}, "d": {"secs": -1, "nsecs": -2}}),
        &[1, 0, 0, 0, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff],
    );
    check("int8[] v\nint8[2] w", &json!({"v": [1], "w": [2, 3]}), &[1, 0, 0, 0, 1, 2, 3]);
    check(
        "int64 i\nuint64 u",
        &json!({"i": i64::MIN, "u": u64::MAX}),
        &[0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    );
    check("float32 f", &json!({"f": 0.5}), &0.5f32.to_le_bytes());
}

#[test]
fn constants_are_not_serialized() {
    check("int32 A=5\nint32 a\nstring S=x", &json!({"a": 1}), &[1, 0, 0, 0]);
}

#[test]
fn byte_arrays_become_attachments() {
    let msg = msg("uint8[] a\nchar[2] b\nbyte[] c");
    let bytes = [1, 0, 0, 0, 9, 7, 8, 1, 0, 0, 0, 0xff];
    let (decoded, attachments) = msg.decode(&bytes).unwrap();
    assert_eq!(decoded, json!({"a": {"$bin": 0}, "b": {"$bin": 1}, "c": [-1]}));
    assert_eq!(attachments, vec![vec![9], vec![7, 8]]);
    assert_eq!(msg.encode(&json!({"a": "CQ==", "b": [7, 8], "c": [-1]}), &[]).unwrap(), bytes);
    let error = msg.encode(&json!({"b": "AQID"}), &[]).unwrap_err();
    assert_eq!(error.to_string(), "field `b`: expected exactly 2 bytes, got 3");
    let error = msg.encode(&json!({"a": "CQ"}), &[]).unwrap_err();
    assert!(error.to_string().contains("base64"), "{error}");
}

#[test]
fn nested_paths_in_errors() {
    let definition = "Point[] points\n================================================================================\nMSG: test/Point\nfloat64 x\nint8 y";
    let points = msg(definition);
    let error = points.encode(&json!({"points": [{"x": 1}, {"y": 128}]}), &[]).unwrap_err();
    assert!(matches!(&error, Error::Encode { field, .. } if field == "points[1].y"), "{error:?}");
    let definition = "Point[] points\n================================================================================\nMSG: test/Point\nstring name\nfloat64 x";
    let mut bytes = vec![2, 0, 0, 0, 8, 0, 0, 0];
    bytes.extend_from_slice(b"abcdefgh");
    bytes.extend_from_slice(&1.5f64.to_le_bytes());
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    let error = msg(definition).decode(&bytes).unwrap_err();
    assert!(error.to_string().contains("field `points[1].x`: truncated"), "{error}");
}

#[test]
fn decode_is_lenient_where_ros_is() {
    let msg = msg("bool a");
    assert_eq!(msg.decode(&[2]).unwrap().0, json!({"a": true}));
    let floats = msg_floats();
    let (decoded, _) = floats.decode(&f64::INFINITY.to_le_bytes()).unwrap();
    assert_eq!(decoded, json!({"f": null}));
}

fn msg_floats() -> Arc<MsgType> {
    msg("float64 f")
}

#[test]
fn hostile_counts_are_refused() {
    let strings = msg("string[] s");
    let error = strings.decode(&[0xff, 0xff, 0xff, 0xff]).unwrap_err();
    assert!(error.to_string().contains("does not fit"), "{error}");
    let empties = msg(
        "E[] e\n================================================================================\nMSG: test/E\n",
    );
    assert_eq!(empties.decode(&[3, 0, 0, 0]).unwrap().0, json!({"e": [{}, {}, {}]}));
    assert!(empties.decode(&[0xff, 0xff, 0xff, 0xff]).is_err());
}

#[test]
fn defaults() {
    let msg = msg("int8 a\nfloat32[2] f\nstring s\nuint8[2] b\nuint8[] v\ntime t\nbool[] x");
    assert_eq!(
        msg.default_value(),
        json!({"a": 0, "f": [0.0, 0.0], "s": "", "b": "AAA=", "v": "", "t": {"secs": 0, "nsecs": 0}, "x": []})
    );
    assert_eq!(
        msg.encode(&json!({}), &[]).unwrap(),
        msg.encode(&msg.default_value(), &[]).unwrap()
    );
}
