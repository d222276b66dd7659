//! Wire bytes: values built and serialized by genpy decode to the same JSON, and that JSON
//! encodes back to the same bytes (through base64 strings and through attachments).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bridge_rosmsg::{MsgType, Registry};
use serde_json::Value;
use std::sync::Arc;

use crate::oracle::{oracle, registry};

/// The message type of a sample (`pkg/SrvRequest` / `pkg/SrvResponse` through the service).
pub(crate) fn sample_type(registry: &Registry, name: &str) -> Arc<MsgType> {
    if name.starts_with("std_srvs/") {
        if let Some(service) = name.strip_suffix("Request") {
            return Arc::clone(registry.service(service).unwrap().request());
        }
        if let Some(service) = name.strip_suffix("Response") {
            return Arc::clone(registry.service(service).unwrap().response());
        }
    }
    registry.message(name).unwrap()
}

/// Replaces every `{"$bin": i}` by the base64 text of `attachments[i]`.
pub(crate) fn inline_attachments(value: &Value, attachments: &[Vec<u8>]) -> Value {
    match value {
        Value::Object(object) if object.len() == 1 && object.contains_key("$bin") => {
            let index = usize::try_from(object["$bin"].as_u64().unwrap()).unwrap();
            Value::String(BASE64.encode(&attachments[index]))
        }
        Value::Object(object) => Value::Object(
            object.iter().map(|(k, v)| (k.clone(), inline_attachments(v, attachments))).collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| inline_attachments(v, attachments)).collect())
        }
        other => other.clone(),
    }
}

/// Every object's keys in order, depth first.
fn key_order(value: &Value) -> Vec<String> {
    let mut keys = Vec::new();
    match value {
        Value::Object(object) => {
            for (key, value) in object {
                keys.push(key.clone());
                keys.extend(key_order(value));
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keys.extend(key_order(item))),
        _ => {}
    }
    keys
}

#[test]
fn genpy_samples_decode_and_encode_identically() {
    let registry = registry();
    let samples = oracle()["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 10);
    for sample in samples {
        let name = sample["type"].as_str().unwrap();
        let msg = sample_type(&registry, name);
        let bytes = BASE64.decode(sample["bytes"].as_str().unwrap()).unwrap();
        let expected = &sample["json"];

        let (decoded, attachments) = msg.decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&inline_attachments(&decoded, &attachments), expected, "{name}: decode");
        // Field order is the .msg order (genpy's `__slots__`), nested objects included.
        let inlined = inline_attachments(&decoded, &attachments);
        assert_eq!(key_order(&inlined), key_order(expected), "{name}: key order");

        assert_eq!(msg.encode(expected, &[]).unwrap(), bytes, "{name}: encode (base64)");
        assert_eq!(msg.encode(&decoded, &attachments).unwrap(), bytes, "{name}: encode ($bin)");
    }
}

#[test]
fn image_data_is_one_attachment() {
    let registry = registry();
    let image = registry.message("sensor_msgs/Image").unwrap();
    let pixels: Vec<u8> = (0..640 * 480 * 3).map(|i: u32| (i % 251) as u8).collect();
    let msg = serde_json::json!({
        "header": {"seq": 1, "stamp": {"secs": 2, "nsecs": 3}, "frame_id": "camera"},
        "height": 480, "width": 640, "encoding": "rgb8", "is_bigendian": 0, "step": 1920,
        "data": {"$bin": 0}
    });
    let bytes = image.encode(&msg, std::slice::from_ref(&pixels)).unwrap();
    assert_eq!(bytes.len(), 4 + 8 + 4 + 6 + 4 + 4 + 4 + 4 + 1 + 4 + 4 + pixels.len());
    let (decoded, attachments) = image.decode(&bytes).unwrap();
    assert_eq!(decoded, msg);
    assert_eq!(attachments, vec![pixels.clone()]);

    let numbers: Vec<u8> = pixels[..5].to_vec();
    let small = serde_json::json!({"data": numbers});
    let from_numbers = image.encode(&small, &[]).unwrap();
    let from_base64 =
        image.encode(&serde_json::json!({"data": BASE64.encode(&numbers)}), &[]).unwrap();
    assert_eq!(from_numbers, from_base64);
    assert_eq!(image.decode(&from_numbers).unwrap().1, vec![numbers]);
}

#[test]
fn missing_fields_take_defaults() {
    let registry = registry();
    let fix = registry.message("sensor_msgs/NavSatFix").unwrap();
    let empty = fix.encode(&serde_json::json!({}), &[]).unwrap();
    let default = fix.encode(&fix.default_value(), &[]).unwrap();
    assert_eq!(empty, default);
    let (decoded, attachments) = fix.decode(&empty).unwrap();
    assert!(attachments.is_empty());
    assert_eq!(decoded, fix.default_value());
    assert_eq!(decoded["position_covariance"].as_array().unwrap().len(), 9);

    let image = registry.message("sensor_msgs/Image").unwrap();
    let (decoded, attachments) =
        image.decode(&image.encode(&serde_json::json!({}), &[]).unwrap()).unwrap();
    assert_eq!(inline_attachments(&decoded, &attachments), image.default_value());
}
