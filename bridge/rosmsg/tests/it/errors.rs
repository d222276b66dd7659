//! Error reports: parse errors name file:line, missing types name the roots searched, encode
//! errors name the field path, decode errors never panic.

use std::path::Path;

use bridge_rosmsg::{Error, Registry};
use serde_json::json;

use crate::oracle::registry;

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(path, text).unwrap();
}

#[test]
fn parse_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pkg/msg/Bad.msg", "# a comment\nint32 x\nfoo bar baz\n");
    let registry = Registry::new(vec![dir.path().to_path_buf()]);
    let error = registry.message("pkg/Bad").unwrap_err();
    let file = dir.path().join("pkg/msg/Bad.msg");
    assert!(matches!(&error, Error::Parse { path, line: 3, .. } if *path == file), "{error:?}");
    assert!(error.to_string().starts_with(&format!("{}:3: ", file.display())), "{error}");

    write(dir.path(), "pkg/srv/Bad.srv", "int32 a\n---\nint32 b\nuint8 C=300\n");
    let error = registry.service("pkg/Bad").unwrap_err();
    assert!(error.to_string().contains("Bad.srv:4: "), "{error}");

    write(dir.path(), "pkg/msg/UsesBad.msg", "Bad inner\n");
    let error = registry.message("pkg/UsesBad").unwrap_err();
    assert!(error.to_string().contains("Bad.msg:3: "), "{error}");

    let error = Registry::new(Vec::new())
        .message_from_definition("pkg/Root", "Other a\n================================================================================\nMSG: pkg/Other\nint32 b\nstring[ x\n")
        .unwrap_err();
    assert!(error.to_string().starts_with("message_definition of pkg/Root:5: "), "{error}");
}

#[test]
fn missing_types_name_the_roots() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(vec![dir.path().to_path_buf(), "/nonexistent/root".into()]);
    let error = registry.message("nope/Missing").unwrap_err();
    let text = error.to_string();
    assert!(text.contains("`nope/Missing`"), "{text}");
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(text.contains("/nonexistent/root"), "{text}");

    write(dir.path(), "pkg/msg/A.msg", "Header header\nB b\n");
    let error = registry.message("pkg/A").unwrap_err();
    assert!(
        matches!(&error, Error::NotFound { type_name, needed_by: Some(parent), .. }
        if type_name == "std_msgs/Header" && parent == "pkg/A"),
        "{error:?}"
    );
    assert!(registry.service("pkg/Nothing").unwrap_err().to_string().contains("service type"));
    for bad in ["", "std_msgs", "../etc/passwd", "a/b/c", "std_msgs/../x", "1pkg/Name"] {
        assert!(matches!(registry.message(bad), Err(Error::InvalidName { .. })), "{bad}");
    }
}

#[test]
fn self_containing_types_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pkg/msg/Tree.msg", "Node root\n");
    write(dir.path(), "pkg/msg/Node.msg", "int32 value\nNode[] children\n");
    let registry = Registry::new(vec![dir.path().to_path_buf()]);
    let error = registry.message("pkg/Tree").unwrap_err();
    assert!(matches!(error, Error::Cycle { .. }), "{error:?}");
}

#[test]
fn a_root_may_be_the_package_folder() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "my_pkg/msg/Thing.msg", "int32 a\n");
    let registry = Registry::new(vec![dir.path().join("my_pkg")]);
    assert_eq!(registry.message("my_pkg/Thing").unwrap().md5sum().len(), 32);
    assert_eq!(registry.roots(), [dir.path().join("my_pkg")]);
}

fn encode_error(type_name: &str, value: serde_json::Value) -> (String, String) {
    let registry = registry();
    let msg = registry.message(type_name).unwrap();
    match msg.encode(&value, &[vec![1, 2, 3]]) {
        Err(Error::Encode { field, message }) => (field, message),
        other => panic!("{type_name} {value}: expected an encode error, got {other:?}"),
    }
}

#[test]
fn encode_errors_name_the_field_path() {
    let check = |type_name: &str, value: serde_json::Value, field: &str, words: &str| {
        let (got_field, message) = encode_error(type_name, value);
        assert_eq!(got_field, field, "{message}");
        assert!(message.contains(words), "{field}: `{message}` lacks `{words}`");
    };
    check("geometry_msgs/Twist", json!({"linear": {"x": "fast"}}), "linear.x", "expected a number");
    check("geometry_msgs/Twist", json!({"linear": {"w": 1.0}}), "linear.w", "unknown field");
    check("geometry_msgs/Twist", json!({"speed": 1}), "speed", "unknown field");
    check("geometry_msgs/Twist", json!([1]), "", "expected an object");
    check(
        "sensor_msgs/NavSatFix",
        json!({"status": {"status": 300}}),
        "status.status",
        "out of range for int8",
    );
    check(
        "sensor_msgs/NavSatFix",
        json!({"status": {"service": -1}}),
        "status.service",
        "out of range",
    );
    check(
        "sensor_msgs/NavSatFix",
        json!({"position_covariance_type": 1.5}),
        "position_covariance_type",
        "integer",
    );
    check(
        "sensor_msgs/NavSatFix",
        json!({"position_covariance": [1.0, 2.0]}),
        "position_covariance",
        "exactly 9",
    );
    check(
        "sensor_msgs/NavSatFix",
        json!({"header": {"stamp": {"secs": -1}}}),
        "header.stamp.secs",
        "out of range",
    );
    check(
        "sensor_msgs/NavSatFix",
        json!({"header": {"stamp": {"sec": 1}}}),
        "header.stamp.sec",
        "unknown field",
    );
    check(
        "sensor_msgs/NavSatFix",
        json!({"header": {"frame_id": 5}}),
        "header.frame_id",
        "expected a string",
    );
    check("sensor_msgs/Image", json!({"data": {"$bin": 1}}), "data", "1 attachments");
    check("sensor_msgs/Image", json!({"data": {"$bin": 0, "x": 1}}), "data", "$bin");
    check("sensor_msgs/Image", json!({"data": "not base64!"}), "data", "base64");
    check("sensor_msgs/Image", json!({"data": [1, 256]}), "data[1]", "out of range for uint8");
    check(
        "sensor_msgs/Image",
        json!({"is_bigendian": 300}),
        "is_bigendian",
        "300 is out of range for uint8",
    );
    check(
        "sensor_msgs/JointState",
        json!({"position": [1.0, "x"]}),
        "position[1]",
        "expected a number",
    );
    check("sensor_msgs/JointState", json!({"name": "a"}), "name", "expected an array");
    check(
        "sensor_msgs/PointCloud2",
        json!({"fields": [{}, {"count": -2}]}),
        "fields[1].count",
        "out of range",
    );
    check("sensor_msgs/PointCloud2", json!({"is_dense": 1}), "is_dense", "expected a boolean");
}

#[test]
fn floats_accept_integers_and_null() {
    let registry = registry();
    let twist = registry.message("geometry_msgs/Twist").unwrap();
    let bytes = twist.encode(&json!({"linear": {"x": 2, "y": null}}), &[]).unwrap();
    assert_eq!(&bytes[..8], &2.0f64.to_le_bytes());
    assert!(f64::from_le_bytes(bytes[8..16].try_into().unwrap()).is_nan());
    let (decoded, _) = twist.decode(&bytes).unwrap();
    assert_eq!(decoded["linear"], json!({"x": 2.0, "y": null, "z": 0.0}));
}

#[test]
fn every_truncation_and_extension_is_a_decode_error() {
    let registry = registry();
    for name in ["sensor_msgs/PointCloud2", "sensor_msgs/NavSatFix", "sensor_msgs/JointState"] {
        let msg = registry.message(name).unwrap();
        let value = match name {
            "sensor_msgs/JointState" => json!({"name": ["a", "b"], "position": [1.0]}),
            "sensor_msgs/PointCloud2" => json!({"fields": [{"name": "x"}], "data": [1, 2]}),
            _ => msg.default_value(),
        };
        let bytes = msg.encode(&value, &[]).unwrap();
        for len in 0..bytes.len() {
            assert!(matches!(msg.decode(&bytes[..len]), Err(Error::Decode { .. })), "{name} {len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        let error = msg.decode(&longer).unwrap_err();
        assert!(error.to_string().contains("1 trailing bytes"), "{error}");
    }
}

#[test]
fn invalid_utf8_decodes_lossily() {
    let registry = registry();
    let string = registry.message("std_msgs/String").unwrap();
    let (decoded, _) = string.decode(&[3, 0, 0, 0, b'a', 0xff, b'b']).unwrap();
    assert_eq!(decoded, json!({"data": "a\u{fffd}b"}));
}
