//! Property-based fuzzing of the bridge's wire input: length-prefixed frames and the requests
//! decoded from them, as a hostile or broken client sends them.
//!
//! The contract: no panic, no abort, `decode` never claims more bytes than it was given, and a
//! frame that decodes but is not a request is a typed error with a protocol error code.
//! `cargo xtask fuzz --minutes N` runs these with fresh seeds for longer.

use bridge_protocol::frame::decode;
use bridge_protocol::{Frame, Request};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

const MAX: usize = 64 * 1024;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::String),
        select(vec![
            "subscribe",
            "publish",
            "call",
            "get_param",
            "set_param",
            "/chatter",
            "std_msgs/String",
            "",
            "/",
            "//a",
            "~private",
            "$bin",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                select(vec![
                    "id", "op", "topic", "service", "name", "type", "msg", "args", "$bin", "x"
                ])
                .prop_map(str::to_owned),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn frame_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        (json_value(), prop::collection::vec(prop::collection::vec(any::<u8>(), 0..16), 0..3))
            .prop_map(|(header, attachments)| {
                let header = match header {
                    Value::Object(m) => m,
                    other => Map::from_iter([("op".to_owned(), other)]),
                };
                Frame { header, attachments }.encode(MAX).unwrap_or_default()
            }),
        // A valid frame whose length fields are then damaged.
        (json_value(), 0usize..12, any::<u8>()).prop_map(|(header, at, x)| {
            let header = Map::from_iter([("op".to_owned(), header)]);
            let mut bytes = Frame::new(header).encode(MAX).unwrap_or_default();
            if let Some(b) = bytes.get_mut(at) {
                *b ^= x;
            }
            bytes
        }),
    ]
}

proptest! {
    #[test]
    fn frames_and_requests(bytes in frame_bytes()) {
        let mut rest: &[u8] = &bytes;
        while let Ok(Some((frame, used))) = decode(rest, MAX) {
            prop_assert!(used > 0 && used <= rest.len(), "decode used {used} of {}", rest.len());
            rest = &rest[used..];
            if let Err(error) = Request::from_frame(frame) {
                let _ = error.code();
            }
        }
    }
}
