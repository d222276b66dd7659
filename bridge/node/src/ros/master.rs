//! Blocking XML-RPC calls to the ROS master and to other nodes' slave APIs (through the
//! `xml-rpc` crate that rosrust uses), and the JSON <-> XML-RPC mapping of parameter values.
//! Callers run these on tokio's blocking pool.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Number, Value};
use xml_rpc::Value as Xml;

/// A failed XML-RPC call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum CallError {
    /// The peer could not be reached or answered something that is not XML-RPC.
    #[error("`{uri}` is unreachable: {message}")]
    Unreachable { uri: String, message: String },
    /// The peer answered with an error or failure status (ROS API code -1 or 0).
    #[error("{0}")]
    Failure(String),
}

/// `getSystemState`: for each name, the nodes providing it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SystemState {
    pub(crate) publishers: BTreeMap<String, Vec<String>>,
    pub(crate) subscribers: BTreeMap<String, Vec<String>>,
    pub(crate) services: BTreeMap<String, Vec<String>>,
}

/// A ROS API endpoint (the master, or a node's slave API) called as `caller_id`.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    uri: String,
    caller_id: String,
}

impl Api {
    pub(crate) fn new(uri: &str, caller_id: &str) -> Self {
        Api { uri: uri.to_owned(), caller_id: caller_id.to_owned() }
    }

    pub(crate) fn uri(&self) -> &str {
        &self.uri
    }

    /// Calls `method(caller_id, args...)` and unpacks the ROS `[code, status, value]` answer.
    pub(crate) fn call(&self, method: &str, args: Vec<Xml>) -> Result<Xml, CallError> {
        let unreachable =
            |message: String| CallError::Unreachable { uri: self.uri.clone(), message };
        let url: xml_rpc::Url =
            self.uri.parse().map_err(|e| unreachable(format!("bad URI: {e}")))?;
        let mut params = vec![Xml::String(self.caller_id.clone())];
        params.extend(args);
        let mut client = xml_rpc::Client::new().map_err(|e| unreachable(e.to_string()))?;
        let response = client.call_value(&url, method, params).map_err(|e| {
            // xml-rpc's errors chain the real cause (connection refused, ...) behind a summary.
            let chain: Vec<String> = e.iter().map(ToString::to_string).collect();
            unreachable(chain.join(": "))
        })?;
        let mut values = response
            .map_err(|fault| CallError::Failure(format!("{method}: fault {}", fault.message)))?;
        // The answer is one array `[code, status, value]`.
        let triple = match values.len() {
            1 => match values.remove(0) {
                Xml::Array(triple) => triple,
                other => vec![other],
            },
            _ => values,
        };
        let mut triple = triple.into_iter();
        let code = triple.next();
        let status = match triple.next() {
            Some(Xml::String(status)) => status,
            _ => String::new(),
        };
        match code {
            Some(Xml::Int(1)) => Ok(triple.next().unwrap_or(Xml::Int(0))),
            Some(Xml::Int(_)) => Err(CallError::Failure(status)),
            _ => Err(unreachable(format!("{method}: malformed answer"))),
        }
    }

    pub(crate) fn get_system_state(&self) -> Result<SystemState, CallError> {
        let value = self.call("getSystemState", vec![])?;
        let mut lists = array(value).into_iter().map(|list| {
            array(list)
                .into_iter()
                .filter_map(|entry| {
                    let mut entry = array(entry).into_iter();
                    let name = string(entry.next()?)?;
                    let nodes = array(entry.next()?).into_iter().filter_map(string).collect();
                    Some((name, nodes))
                })
                .collect::<BTreeMap<_, _>>()
        });
        Ok(SystemState {
            publishers: lists.next().unwrap_or_default(),
            subscribers: lists.next().unwrap_or_default(),
            services: lists.next().unwrap_or_default(),
        })
    }

    pub(crate) fn get_topic_types(&self) -> Result<Vec<(String, String)>, CallError> {
        let value = self.call("getTopicTypes", vec![])?;
        let mut topics: Vec<(String, String)> = array(value)
            .into_iter()
            .filter_map(|pair| {
                let mut pair = array(pair).into_iter();
                Some((string(pair.next()?)?, string(pair.next()?)?))
            })
            .collect();
        topics.sort();
        Ok(topics)
    }

    /// The `rosrpc://host:port` URI of a service's provider.
    pub(crate) fn lookup_service(&self, service: &str) -> Result<String, CallError> {
        let value = self.call("lookupService", vec![Xml::String(service.to_owned())])?;
        string(value).ok_or_else(|| CallError::Failure("lookupService: not a string".into()))
    }

    /// Registers a subscriber; returns the slave URIs of the topic's publishers.
    pub(crate) fn register_subscriber(
        &self,
        topic: &str,
        type_name: &str,
        caller_api: &str,
    ) -> Result<Vec<String>, CallError> {
        let value = self.call(
            "registerSubscriber",
            vec![
                Xml::String(topic.to_owned()),
                Xml::String(type_name.to_owned()),
                Xml::String(caller_api.to_owned()),
            ],
        )?;
        Ok(array(value).into_iter().filter_map(string).collect())
    }

    pub(crate) fn get_param(&self, name: &str) -> Result<Xml, CallError> {
        self.call("getParam", vec![Xml::String(name.to_owned())])
    }

    pub(crate) fn has_param(&self, name: &str) -> Result<bool, CallError> {
        Ok(matches!(self.call("hasParam", vec![Xml::String(name.to_owned())])?, Xml::Bool(true)))
    }

    pub(crate) fn set_param(&self, name: &str, value: Xml) -> Result<(), CallError> {
        self.call("setParam", vec![Xml::String(name.to_owned()), value]).map(drop)
    }

    pub(crate) fn delete_param(&self, name: &str) -> Result<(), CallError> {
        self.call("deleteParam", vec![Xml::String(name.to_owned())]).map(drop)
    }

    pub(crate) fn get_param_names(&self) -> Result<Vec<String>, CallError> {
        let mut names: Vec<String> =
            array(self.call("getParamNames", vec![])?).into_iter().filter_map(string).collect();
        names.sort();
        Ok(names)
    }

    /// Slave API `requestTopic` with TCPROS: the `(host, port)` to connect to.
    pub(crate) fn request_topic(&self, topic: &str) -> Result<(String, u16), CallError> {
        let protocols = Xml::Array(vec![Xml::Array(vec![Xml::String("TCPROS".into())])]);
        let value = self.call("requestTopic", vec![Xml::String(topic.to_owned()), protocols])?;
        let mut parts = array(value).into_iter();
        let protocol = parts.next().and_then(string);
        let host = parts.next().and_then(string);
        let port = match parts.next() {
            Some(Xml::Int(port)) => u16::try_from(port).ok(),
            _ => None,
        };
        match (protocol.as_deref(), host, port) {
            (Some("TCPROS"), Some(host), Some(port)) => Ok((host, port)),
            _ => Err(CallError::Failure(format!("`{}` offers no TCPROS for `{topic}`", self.uri))),
        }
    }
}

fn array(value: Xml) -> Vec<Xml> {
    match value {
        Xml::Array(items) => items,
        _ => Vec::new(),
    }
}

fn string(value: Xml) -> Option<String> {
    match value {
        Xml::String(s) => Some(s),
        _ => None,
    }
}

/// JSON to an XML-RPC parameter value. Integers that fit `i32` become `<int>`, other numbers
/// `<double>` (XML-RPC has no 64-bit integer); `null` is refused (the parameter server has no
/// null).
pub(crate) fn json_to_xml(value: &Value) -> Result<Xml, String> {
    Ok(match value {
        Value::Null => return Err("parameters cannot be null".into()),
        Value::Bool(b) => Xml::Bool(*b),
        Value::Number(n) => match n.as_i64().and_then(|i| i32::try_from(i).ok()) {
            Some(i) => Xml::Int(i),
            None => Xml::Double(n.as_f64().ok_or("number out of range")?),
        },
        Value::String(s) => Xml::String(s.clone()),
        Value::Array(items) => {
            Xml::Array(items.iter().map(json_to_xml).collect::<Result<Vec<_>, _>>()?)
        }
        Value::Object(map) => Xml::Struct(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), json_to_xml(v)?)))
                .collect::<Result<HashMap<_, _>, String>>()?,
        ),
    })
}

/// An XML-RPC value as JSON (struct keys sorted; binary as an array of byte values; dates as
/// their ISO 8601 text).
pub(crate) fn xml_to_json(value: Xml) -> Value {
    match value {
        Xml::Int(i) => Value::from(i),
        Xml::Bool(b) => Value::Bool(b),
        Xml::String(s) | Xml::DateTime(s) => Value::String(s),
        Xml::Double(d) => Number::from_f64(d).map_or(Value::Null, Value::Number),
        Xml::Base64(bytes) => Value::Array(bytes.into_iter().map(Value::from).collect()),
        Xml::Array(items) => Value::Array(items.into_iter().map(xml_to_json).collect()),
        Xml::Struct(map) => {
            let sorted: BTreeMap<String, Xml> = map.into_iter().collect();
            Value::Object(
                sorted.into_iter().map(|(k, v)| (k, xml_to_json(v))).collect::<Map<_, _>>(),
            )
        }
    }
}
