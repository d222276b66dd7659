//! Property tests: arbitrary bytes never panic the decoder, and generated JSON values survive
//! encode then decode (values generated from each type's `describe()`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bridge_rosmsg::{MsgType, Registry};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::oracle::registry;
use crate::wire::inline_attachments;

/// A synthetic type with every builtin, array shape and nesting.
const EVERYTHING: &str = "\
# every builtin
bool flag
int8 a
uint8 b
int16 c
uint16 d
int32 e
uint32 f
int64 g
uint64 h
float32 i
float64 j
string k
time t
duration u
byte by
char ch
int8 CONST_A=-3
string CONST_S= hello # not a comment
uint8[] bytes
char[4] chars
int64[] longs
float32[3] vec
string[] names
time[] stamps
duration[2] spans
Header header
geometry_msgs/Point[2] corners
Nested[] nested
================================================================================
MSG: std_msgs/Header
uint32 seq
time stamp
string frame_id
================================================================================
MSG: geometry_msgs/Point
float64 x
float64 y
float64 z
================================================================================
MSG: test_msgs/Nested
bool[] flags
uint8[3] rgb
Empty nothing
Empty[] nothings
================================================================================
MSG: test_msgs/Empty
";

fn types() -> Vec<Arc<MsgType>> {
    let registry = registry();
    let mut types: Vec<Arc<MsgType>> = [
        "geometry_msgs/Twist",
        "geometry_msgs/PoseWithCovarianceStamped",
        "sensor_msgs/NavSatFix",
        "sensor_msgs/JointState",
        "sensor_msgs/PointCloud2",
        "sensor_msgs/Image",
        "std_msgs/String",
    ]
    .iter()
    .map(|name| registry.message(name).unwrap())
    .collect();
    types.push(
        Registry::new(Vec::new())
            .message_from_definition("test_msgs/Everything", EVERYTHING)
            .unwrap(),
    );
    types
}

fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

fn element(base: &str, types: &Map<String, Value>) -> BoxedStrategy<Value> {
    match base {
        "bool" => any::<bool>().prop_map(Value::from).boxed(),
        "int8" | "byte" => any::<i8>().prop_map(Value::from).boxed(),
        "uint8" | "char" => any::<u8>().prop_map(Value::from).boxed(),
        "int16" => any::<i16>().prop_map(Value::from).boxed(),
        "uint16" => any::<u16>().prop_map(Value::from).boxed(),
        "int32" => any::<i32>().prop_map(Value::from).boxed(),
        "uint32" => any::<u32>().prop_map(Value::from).boxed(),
        "int64" => any::<i64>().prop_map(Value::from).boxed(),
        "uint64" => any::<u64>().prop_map(Value::from).boxed(),
        "float32" => any::<f32>().prop_map(|f| float(f64::from(f))).boxed(),
        "float64" => any::<f64>().prop_map(float).boxed(),
        "string" => any::<String>().prop_map(Value::from).boxed(),
        "time" => {
            (any::<u32>(), any::<u32>()).prop_map(|(s, n)| json!({"secs": s, "nsecs": n})).boxed()
        }
        "duration" => {
            (any::<i32>(), any::<i32>()).prop_map(|(s, n)| json!({"secs": s, "nsecs": n})).boxed()
        }
        name => message(&types[name]["fields"], types),
    }
}

fn message(fields: &Value, types: &Map<String, Value>) -> BoxedStrategy<Value> {
    let fields = fields.as_array().unwrap();
    let names: Vec<String> =
        fields.iter().map(|f| f["name"].as_str().unwrap().to_owned()).collect();
    let strategies: Vec<BoxedStrategy<Value>> =
        fields.iter().map(|f| field(f["type"].as_str().unwrap(), types)).collect();
    strategies
        .prop_map(move |values| Value::Object(names.iter().cloned().zip(values).collect()))
        .boxed()
}

fn field(type_text: &str, types: &Map<String, Value>) -> BoxedStrategy<Value> {
    let Some((base, rest)) = type_text.split_once('[') else {
        return element(type_text, types);
    };
    let size = rest.trim_end_matches(']');
    let len = if size.is_empty() {
        0..6
    } else {
        let n: usize = size.parse().unwrap();
        n..n + 1
    };
    if base == "uint8" || base == "char" {
        return proptest::collection::vec(any::<u8>(), len)
            .prop_map(|bytes| Value::String(BASE64.encode(bytes)))
            .boxed();
    }
    proptest::collection::vec(element(base, types), len).prop_map(Value::Array).boxed()
}

/// A runner for `cases` cases (one per type: a runner stops once it has run its cases).
fn runner(cases: u32) -> proptest::test_runner::TestRunner {
    proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

fn strategy(msg: &MsgType) -> BoxedStrategy<Value> {
    let description = msg.describe();
    let types = description["types"].as_object().unwrap().clone();
    message(&description["fields"], &types)
}

#[test]
fn generated_values_round_trip() {
    let cases = AtomicUsize::new(0);
    for msg in types() {
        let mut runner = runner(48);
        runner
            .run(&strategy(&msg), |value| {
                let bytes =
                    msg.encode(&value, &[]).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let (decoded, attachments) =
                    msg.decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&inline_attachments(&decoded, &attachments), &value);
                prop_assert_eq!(msg.encode(&decoded, &attachments).unwrap(), bytes);
                cases.fetch_add(1, Ordering::Relaxed);
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", msg.name()));
    }
    assert_eq!(cases.into_inner(), 48 * 8);
}

#[test]
fn arbitrary_bytes_never_panic() {
    for msg in types() {
        let mut runner = runner(256);
        let seed = msg.encode(&msg.default_value(), &[]).unwrap();
        let edits = proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6);
        let bytes = prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            // The valid encoding itself, so that every run decodes something: for a short seed
            // (std_msgs/String is 4 bytes) the edits below almost never leave it valid, and the
            // `decoded > 0` check failed about one run in thirty.
            Just(seed.clone()),
            // Edits of a valid encoding (overwrites, a cut or some extra bytes) reach deeper.
            (
                Just(seed),
                edits,
                any::<Option<usize>>(),
                proptest::collection::vec(any::<u8>(), 0..3)
            )
                .prop_map(|(mut bytes, edits, cut, extra)| {
                    let len = bytes.len();
                    for (at, byte) in edits {
                        bytes[at % len] = byte;
                    }
                    bytes.truncate(cut.map_or(len, |cut| cut % (len + 1)));
                    bytes.extend(extra);
                    bytes
                }),
        ];
        let (tried, decoded) = (AtomicUsize::new(0), AtomicUsize::new(0));
        runner
            .run(&bytes, |bytes| {
                tried.fetch_add(1, Ordering::Relaxed);
                if let Ok((value, attachments)) = msg.decode(&bytes) {
                    decoded.fetch_add(1, Ordering::Relaxed);
                    // Whatever decodes is valid input for encode.
                    msg.encode(&value, &attachments)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", msg.name()));
        let (tried, decoded) = (tried.into_inner(), decoded.into_inner());
        assert!(tried >= 256 && decoded > 0, "{}: {decoded} of {tried} decoded", msg.name());
    }
}

#[test]
fn everything_type_describes_its_constants() {
    let msg = Registry::new(Vec::new())
        .message_from_definition("test_msgs/Everything", EVERYTHING)
        .unwrap();
    let described = msg.describe();
    assert_eq!(
        described["constants"],
        json!([
            {"name": "CONST_A", "type": "int8", "value": -3},
            {"name": "CONST_S", "type": "string", "value": "hello # not a comment"},
        ])
    );
    assert_eq!(described["fields"][25], json!({"name": "nested", "type": "test_msgs/Nested[]"}));
    assert_eq!(msg.definition(), EVERYTHING);
}
