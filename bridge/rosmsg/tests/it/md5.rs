//! md5sums and full definitions of every message and service of the Debian packages, compared
//! with genpy's `_md5sum` and `_full_text`.

use crate::oracle::{oracle, registry};

#[test]
fn every_message_matches_genpy() {
    let registry = registry();
    let msgs = oracle()["msgs"].as_object().unwrap();
    assert!(msgs.len() > 80, "only {} message types from the oracle", msgs.len());
    let mut failures = Vec::new();
    for (name, expected) in msgs {
        let msg = registry.message(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        if msg.md5sum() != expected["md5"] {
            failures.push(format!("{name}: md5 {} != {}", msg.md5sum(), expected["md5"]));
        }
        if msg.definition() != expected["full"] {
            failures.push(format!(
                "{name}: full definition differs:\n{:?}\n!=\n{:?}",
                msg.definition(),
                expected["full"]
            ));
        }
        assert_eq!(msg.name(), name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_service_matches_genpy() {
    let registry = registry();
    let srvs = oracle()["srvs"].as_object().unwrap();
    assert!(srvs.len() >= 4);
    for (name, expected) in srvs {
        let srv = registry.service(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(srv.name(), name);
        assert_eq!(srv.md5sum(), expected["md5"], "{name}");
        for (half, msg) in [("request", srv.request()), ("response", srv.response())] {
            assert_eq!(msg.name(), expected[half]["type"], "{name} {half}");
            assert_eq!(msg.md5sum(), expected[half]["md5"], "{name} {half}");
            assert_eq!(msg.definition(), expected[half]["full"], "{name} {half}");
        }
    }
}

#[test]
fn definitions_from_headers_give_the_same_types() {
    let registry = registry();
    let fresh = bridge_rosmsg::Registry::new(Vec::new());
    for name in [
        "sensor_msgs/PointCloud2",
        "geometry_msgs/PoseWithCovarianceStamped",
        "sensor_msgs/NavSatFix",
    ] {
        let on_disk = registry.message(name).unwrap();
        let from_header = fresh.message_from_definition(name, on_disk.definition()).unwrap();
        assert_eq!(from_header.md5sum(), on_disk.md5sum(), "{name}");
        assert_eq!(from_header.definition(), on_disk.definition(), "{name}");
        assert_eq!(from_header.describe(), on_disk.describe(), "{name}");
    }
}

#[test]
fn header_short_name_and_describe() {
    let registry = registry();
    let header = registry.message("Header").unwrap();
    assert_eq!(header.name(), "std_msgs/Header");
    let fix = registry.message("sensor_msgs/NavSatFix").unwrap().describe();
    assert_eq!(fix["type"], "sensor_msgs/NavSatFix");
    assert_eq!(fix["fields"][0], serde_json::json!({"name": "header", "type": "std_msgs/Header"}));
    assert_eq!(
        fix["fields"][5],
        serde_json::json!({"name": "position_covariance", "type": "float64[9]"})
    );
    let constants = fix["constants"].as_array().unwrap();
    assert!(constants.contains(&serde_json::json!({
        "name": "COVARIANCE_TYPE_KNOWN", "type": "uint8", "value": 3
    })));
    let status = &fix["types"]["sensor_msgs/NavSatStatus"];
    assert!(status["constants"].as_array().unwrap().contains(&serde_json::json!({
        "name": "STATUS_NO_FIX", "type": "int8", "value": -1
    })));
    assert!(fix["types"]["std_msgs/Header"]["fields"].is_array());
    assert_eq!(status["md5sum"], registry.message("sensor_msgs/NavSatStatus").unwrap().md5sum());
}
