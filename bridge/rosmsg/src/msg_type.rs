//! Compiled message and service types: md5sum and full definition as genmsg computes them
//! (`gentools.compute_md5_text`, `compute_full_text`), and the field plan the codec walks.

use std::sync::Arc;

use md5::{Digest, Md5};
use serde_json::{Map, Value, json};

use crate::parse::{ArrayLen, BaseType, ConstValue, MsgSpec, Prim};

/// A ROS 1 message type, compiled for encoding and decoding.
#[derive(Debug, Clone)]
pub struct MsgType {
    pub(crate) name: String,
    pub(crate) md5sum: String,
    pub(crate) definition: String,
    pub(crate) text: String,
    pub(crate) fields: Vec<Field>,
    pub(crate) constants: Vec<Constant>,
    /// Every transitive dependency once, in genmsg's order (the full definition's sections).
    pub(crate) deps: Vec<Arc<MsgType>>,
    /// Smallest possible serialized size (bounds array counts read from untrusted bytes).
    pub(crate) min_size: usize,
}

/// A ROS 1 service type: its md5sum and request / response message types.
#[derive(Debug)]
pub struct SrvType {
    pub(crate) name: String,
    pub(crate) md5sum: String,
    pub(crate) request: Arc<MsgType>,
    pub(crate) response: Arc<MsgType>,
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) array: ArrayLen,
    pub(crate) type_text: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Constant {
    pub(crate) type_name: String,
    pub(crate) name: String,
    pub(crate) value: ConstValue,
}

/// What one element of a field is on the wire (`byte` = I8, `char` = U8).
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    String,
    Time,
    Duration,
    Msg(Arc<MsgType>),
}

impl Kind {
    fn of(prim: Prim) -> Kind {
        match prim {
            Prim::Bool => Kind::Bool,
            Prim::Int8 | Prim::Byte => Kind::I8,
            Prim::UInt8 | Prim::Char => Kind::U8,
            Prim::Int16 => Kind::I16,
            Prim::UInt16 => Kind::U16,
            Prim::Int32 => Kind::I32,
            Prim::UInt32 => Kind::U32,
            Prim::Int64 => Kind::I64,
            Prim::UInt64 => Kind::U64,
            Prim::Float32 => Kind::F32,
            Prim::Float64 => Kind::F64,
            Prim::String => Kind::String,
            Prim::Time => Kind::Time,
            Prim::Duration => Kind::Duration,
        }
    }

    /// Smallest serialized size of one element.
    pub(crate) fn min_size(&self) -> usize {
        match self {
            Kind::Bool | Kind::I8 | Kind::U8 => 1,
            Kind::I16 | Kind::U16 => 2,
            Kind::I32 | Kind::U32 | Kind::F32 | Kind::String => 4,
            Kind::I64 | Kind::U64 | Kind::F64 | Kind::Time | Kind::Duration => 8,
            Kind::Msg(msg) => msg.min_size,
        }
    }
}

impl Field {
    /// Whether this field is a byte array (`uint8[]`, `char[]`, fixed or not).
    pub(crate) fn is_bytes(&self) -> bool {
        matches!(self.kind, Kind::U8) && self.array != ArrayLen::Single
    }
}

/// Lowercase hex MD5 of `parts` concatenated.
pub(crate) fn md5_hex(parts: &[&str]) -> String {
    let mut hasher = Md5::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

impl MsgType {
    /// Compiles `spec`; `dependency` yields the compiled type of each message-typed field.
    pub(crate) fn compile<E>(
        spec: MsgSpec,
        mut dependency: impl FnMut(&str) -> Result<Arc<MsgType>, E>,
    ) -> Result<(MsgType, String), E> {
        let mut md5_lines = Vec::with_capacity(spec.constants.len() + spec.fields.len());
        for constant in &spec.constants {
            md5_lines.push(format!("{} {}={}", constant.type_name, constant.name, constant.text));
        }
        let mut fields = Vec::with_capacity(spec.fields.len());
        let mut deps: Vec<Arc<MsgType>> = Vec::new();
        let push_dep = |deps: &mut Vec<Arc<MsgType>>, dep: &Arc<MsgType>| {
            if !deps.iter().any(|d| d.name == dep.name) {
                deps.push(Arc::clone(dep));
            }
        };
        let mut min_size = 0usize;
        for field in spec.fields {
            let kind = match &field.base {
                BaseType::Prim(prim) => {
                    md5_lines.push(format!("{} {}", field.type_text, field.name));
                    Kind::of(*prim)
                }
                BaseType::Msg(name) => {
                    let dep = dependency(name)?;
                    md5_lines.push(format!("{} {}", dep.md5sum, field.name));
                    push_dep(&mut deps, &dep);
                    for nested in &dep.deps {
                        push_dep(&mut deps, nested);
                    }
                    Kind::Msg(dep)
                }
            };
            min_size = min_size.saturating_add(match field.array {
                ArrayLen::Single => kind.min_size(),
                ArrayLen::Var => 4,
                ArrayLen::Fixed(n) => kind.min_size().saturating_mul(n),
            });
            fields.push(Field {
                name: field.name,
                kind,
                array: field.array,
                type_text: field.type_text,
            });
        }
        let md5_text = md5_lines.join("\n").trim().to_owned();
        let mut definition = spec.text.clone();
        definition.push('\n');
        for dep in &deps {
            definition.push_str(&"=".repeat(80));
            definition.push_str("\nMSG: ");
            definition.push_str(&dep.name);
            definition.push('\n');
            definition.push_str(&dep.text);
            definition.push('\n');
        }
        definition.pop();
        let constants = spec
            .constants
            .into_iter()
            .map(|c| Constant { type_name: c.type_name, name: c.name, value: c.value })
            .collect();
        let msg = MsgType {
            name: spec.full_name,
            md5sum: md5_hex(&[&md5_text]),
            definition,
            text: spec.text,
            fields,
            constants,
            deps,
            min_size,
        };
        Ok((msg, md5_text))
    }

    /// The type's name, `pkg/Name` (e.g. `geometry_msgs/Twist`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The md5sum, exactly as `rosmsg md5` prints it.
    pub fn md5sum(&self) -> &str {
        &self.md5sum
    }

    /// genmsg's full definition (the `message_definition` of a TCPROS connection header).
    pub fn definition(&self) -> &str {
        &self.definition
    }

    /// The text of this type's own `.msg` (without its dependencies).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// A JSON description: `type`, `md5sum`, `definition` (this type's own text), `fields`,
    /// `constants`, and `types`: the same (minus `type`) for every nested message type.
    pub fn describe(&self) -> Value {
        let mut out = Map::new();
        out.insert("type".into(), Value::String(self.name.clone()));
        out.extend(self.describe_one());
        let types: Map<String, Value> = self
            .deps
            .iter()
            .map(|dep| (dep.name.clone(), Value::Object(dep.describe_one())))
            .collect();
        out.insert("types".into(), Value::Object(types));
        Value::Object(out)
    }

    fn describe_one(&self) -> Map<String, Value> {
        let fields: Vec<Value> =
            self.fields.iter().map(|f| json!({"name": f.name, "type": f.type_text})).collect();
        let constants: Vec<Value> = self
            .constants
            .iter()
            .map(|c| {
                let value = match &c.value {
                    ConstValue::Bool(b) => json!(b),
                    ConstValue::Int(i) => i64::try_from(*i)
                        .map(Value::from)
                        .or_else(|_| u64::try_from(*i).map(Value::from))
                        .unwrap_or(Value::Null),
                    ConstValue::Float(f) => json!(f),
                    ConstValue::String(s) => json!(s),
                };
                json!({"name": c.name, "type": c.type_name, "value": value})
            })
            .collect();
        let mut out = Map::new();
        out.insert("md5sum".into(), Value::String(self.md5sum.clone()));
        out.insert("definition".into(), Value::String(self.text.clone()));
        out.insert("fields".into(), Value::Array(fields));
        out.insert("constants".into(), Value::Array(constants));
        out
    }

    /// The message with every field at its default: zeros, `false`, `""`, empty variable
    /// arrays, fixed arrays of defaults; byte arrays as base64 strings.
    pub fn default_value(&self) -> Value {
        let mut out = Map::with_capacity(self.fields.len());
        for field in &self.fields {
            let value = if field.is_bytes() {
                let len = match field.array {
                    ArrayLen::Fixed(n) => n,
                    _ => 0,
                };
                Value::String(crate::codec::base64_encode(&vec![0; len]))
            } else {
                match field.array {
                    ArrayLen::Single => default_element(&field.kind),
                    ArrayLen::Var => Value::Array(Vec::new()),
                    ArrayLen::Fixed(n) => {
                        Value::Array((0..n).map(|_| default_element(&field.kind)).collect())
                    }
                }
            };
            out.insert(field.name.clone(), value);
        }
        Value::Object(out)
    }
}

fn default_element(kind: &Kind) -> Value {
    match kind {
        Kind::Bool => Value::Bool(false),
        Kind::F32 | Kind::F64 => json!(0.0),
        Kind::String => Value::String(String::new()),
        Kind::Time | Kind::Duration => json!({"secs": 0, "nsecs": 0}),
        Kind::Msg(msg) => msg.default_value(),
        _ => json!(0),
    }
}

impl SrvType {
    pub(crate) fn new(
        name: String,
        request: (MsgType, String),
        response: (MsgType, String),
    ) -> SrvType {
        SrvType {
            name,
            md5sum: md5_hex(&[&request.1, &response.1]),
            request: Arc::new(request.0),
            response: Arc::new(response.0),
        }
    }

    /// The service type's name, `pkg/Name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The md5sum, exactly as `rossrv md5` prints it.
    pub fn md5sum(&self) -> &str {
        &self.md5sum
    }

    /// The request message type (`pkg/NameRequest`).
    pub fn request(&self) -> &Arc<MsgType> {
        &self.request
    }

    /// The response message type (`pkg/NameResponse`).
    pub fn response(&self) -> &Arc<MsgType> {
        &self.response
    }
}
