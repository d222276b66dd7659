//! Unit tests of the ros backend's pure parts: TCPROS headers, parameter value mapping,
//! service URIs. The behaviour against a real roscore is tested in `tests/it/ros.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use xml_rpc::Value as Xml;

use super::master::{json_to_xml, xml_to_json};
use super::service::{Pools, exchange, probe, rosrpc_addr};
use super::tcpros::{self, decode_header, encode_header};

#[test]
fn header_round_trip() {
    let bytes =
        encode_header(&[("callerid", "/a"), ("md5sum", "*"), ("message_definition", "x=1")]);
    assert_eq!(&bytes[..4], &u32::try_from(bytes.len() - 4).unwrap().to_le_bytes());
    let fields = decode_header(&bytes[4..]).unwrap();
    assert_eq!(fields["callerid"], "/a");
    assert_eq!(fields["md5sum"], "*");
    // Only the first `=` separates key and value.
    assert_eq!(fields["message_definition"], "x=1");
}

#[test]
fn truncated_headers_are_errors() {
    let bytes = encode_header(&[("callerid", "/a")]);
    assert!(decode_header(&bytes[4..bytes.len() - 1]).is_err());
    assert!(decode_header(&[5, 0, 0, 0, b'a', b'b', b'c', b'd', b'e']).is_err());
}

#[test]
fn params_map_ints_that_fit_i32_to_int() {
    assert_eq!(json_to_xml(&json!(7)), Ok(Xml::Int(7)));
    assert_eq!(json_to_xml(&json!(-2147483648_i64)), Ok(Xml::Int(i32::MIN)));
    assert_eq!(json_to_xml(&json!(2147483648_i64)), Ok(Xml::Double(2147483648.0)));
    assert_eq!(json_to_xml(&json!(1.5)), Ok(Xml::Double(1.5)));
    assert_eq!(json_to_xml(&json!(false)), Ok(Xml::Bool(false)));
    assert!(json_to_xml(&json!(null)).is_err());
    assert!(json_to_xml(&json!({"a": [1, null]})).is_err());
}

#[test]
fn params_round_trip_through_xml() {
    let value = json!({"a": 1, "b": [true, "x", 2.5], "c": {"d": ""}});
    assert_eq!(xml_to_json(json_to_xml(&value).unwrap()), value);
}

#[test]
fn service_uris() {
    assert_eq!(rosrpc_addr("rosrpc://127.0.0.1:4567"), Some("127.0.0.1:4567".into()));
    assert_eq!(rosrpc_addr("rosrpc://host:1/"), Some("host:1".into()));
    assert_eq!(rosrpc_addr("http://host:1/"), None);
}

/// A fake TCPROS service provider of type `pkg/Srv`: answers a request with its bytes
/// reversed, fails a request that reverses to `fail`; with `one_shot` it closes each
/// connection after one call (as rosrust servers do). Counts accepted connections.
async fn fake_service(one_shot: bool) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let header = tcpros::read_header(&mut stream).await.unwrap();
                let reply =
                    encode_header(&[("callerid", "/fake"), ("md5sum", "abc"), ("type", "pkg/Srv")]);
                stream.write_all(&reply).await.unwrap();
                if header.contains_key("probe") {
                    return;
                }
                while let Ok(mut body) = tcpros::read_frame(&mut stream, 1 << 20).await {
                    body.reverse();
                    let (ok, body) =
                        if body == b"fail" { (0, b"nope".to_vec()) } else { (1, body) };
                    let mut out = vec![ok];
                    out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
                    out.extend_from_slice(&body);
                    stream.write_all(&out).await.unwrap();
                    if one_shot {
                        return;
                    }
                }
            });
        }
    });
    (addr, connections)
}

#[tokio::test]
async fn persistent_service_connections_are_reused() {
    let (addr, connections) = fake_service(false).await;
    let provider = probe(&addr, "/test", "/svc").await.unwrap();
    assert_eq!((provider.type_name.as_str(), provider.md5sum.as_str()), ("pkg/Srv", "abc"));
    let pools = Pools::default();
    pools.set_provider("/svc", provider.clone());
    for _ in 0..5 {
        let answer = exchange(&pools, "/test", "/svc", &provider, b"abc").await.unwrap();
        assert_eq!(answer, Ok(b"cba".to_vec()));
    }
    // The probe, then one connection for all five calls.
    assert_eq!(connections.load(Ordering::SeqCst), 2);
    let failed = exchange(&pools, "/test", "/svc", &provider, b"liaf").await.unwrap();
    assert_eq!(failed, Err("nope".to_owned()));
}

#[tokio::test]
async fn providers_closing_connections_still_answer() {
    let (addr, connections) = fake_service(true).await;
    let provider = probe(&addr, "/test", "/svc").await.unwrap();
    let pools = Pools::default();
    pools.set_provider("/svc", provider.clone());
    for _ in 0..5 {
        let answer = exchange(&pools, "/test", "/svc", &provider, b"abc").await.unwrap();
        assert_eq!(answer, Ok(b"cba".to_vec()));
    }
    // Probe, first call, the retry after the kept connection failed, then one per call.
    assert_eq!(connections.load(Ordering::SeqCst), 6);
    assert!(!pools.persistent("/svc"));
}
