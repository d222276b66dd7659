//! rosbridge-style JSON to ROS 1 wire bytes and back, walking a compiled [`MsgType`].
//!
//! Byte arrays (`uint8[]`, `char[]`) are copied once into an attachment on decode and read from
//! an attachment, a base64 string or a JSON array of numbers on encode.

#[cfg(test)]
mod tests;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Number, Value};

use crate::Error;
use crate::msg_type::{Field, Kind, MsgType};
use crate::parse::ArrayLen;

/// Arrays of zero-sized elements (empty messages) longer than this are refused on decode:
/// their count is not bounded by the input length.
const MAX_EMPTY_ELEMENTS: usize = 1 << 20;

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

impl MsgType {
    /// Serializes a rosbridge-style JSON object (no TCPROS length prefix).
    ///
    /// Missing fields take their defaults; unknown fields, wrong JSON types, integers out of
    /// range and fixed arrays of the wrong length are [`Error::Encode`] naming the field path.
    pub fn encode(&self, msg: &Value, attachments: &[Vec<u8>]) -> Result<Vec<u8>, Error> {
        let attached: usize = attachments.iter().map(Vec::len).sum();
        let mut out = Vec::with_capacity(self.min_size.saturating_add(attached).min(1 << 26));
        let mut encoder = Encoder { attachments, out: &mut out };
        encoder.message(self, msg, &Ctx::Root)?;
        Ok(out)
    }

    /// Deserializes wire bytes to JSON. Every `uint8[]` / `char[]` becomes `{"$bin": i}` with its
    /// bytes in `attachments[i]`. Never panics: malformed input is [`Error::Decode`].
    pub fn decode(&self, bytes: &[u8]) -> Result<(Value, Vec<Vec<u8>>), Error> {
        let mut decoder = Decoder { bytes, pos: 0, attachments: Vec::new() };
        let value = decoder.message(self).map_err(|failure| failure.into_error(&decoder))?;
        if decoder.pos != bytes.len() {
            return Err(Error::Decode {
                message: format!(
                    "{} trailing bytes after a complete {} ({} bytes)",
                    bytes.len() - decoder.pos,
                    self.name,
                    decoder.pos
                ),
            });
        }
        Ok((value, decoder.attachments))
    }
}

/// Where in the message an encode error is: rendered as `linear.x` or `points[3].x`.
enum Ctx<'a> {
    Root,
    Field(&'a Ctx<'a>, &'a str),
    Index(&'a Ctx<'a>, usize),
}

impl Ctx<'_> {
    fn render(&self) -> String {
        match self {
            Ctx::Root => String::new(),
            Ctx::Field(parent, name) => {
                let mut path = parent.render();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
                path
            }
            Ctx::Index(parent, index) => format!("{}[{index}]", parent.render()),
        }
    }

    fn fail(&self, message: impl Into<String>) -> Error {
        Error::Encode { field: self.render(), message: message.into() }
    }
}

/// The JSON kind of `value`, for error messages.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn kind_name(kind: &Kind) -> &str {
    match kind {
        Kind::Bool => "bool",
        Kind::I8 => "int8",
        Kind::U8 => "uint8",
        Kind::I16 => "int16",
        Kind::U16 => "uint16",
        Kind::I32 => "int32",
        Kind::U32 => "uint32",
        Kind::I64 => "int64",
        Kind::U64 => "uint64",
        Kind::F32 => "float32",
        Kind::F64 => "float64",
        Kind::String => "string",
        Kind::Time => "time",
        Kind::Duration => "duration",
        Kind::Msg(msg) => &msg.name,
    }
}

struct Encoder<'a> {
    attachments: &'a [Vec<u8>],
    out: &'a mut Vec<u8>,
}

impl Encoder<'_> {
    fn message(&mut self, msg: &MsgType, value: &Value, ctx: &Ctx<'_>) -> Result<(), Error> {
        let Value::Object(object) = value else {
            return Err(ctx.fail(format!(
                "expected an object ({}), got {}",
                msg.name,
                json_kind(value)
            )));
        };
        let mut used = 0;
        for field in &msg.fields {
            let field_ctx = Ctx::Field(ctx, &field.name);
            match object.get(&field.name) {
                Some(value) => {
                    used += 1;
                    self.field(field, value, &field_ctx)?;
                }
                // Every default (zero, false, "", empty array, ...) serializes as zero bytes.
                None => self.out.resize(self.out.len() + field_size_min(field), 0),
            }
        }
        if used != object.len() {
            let unknown = object
                .keys()
                .find(|key| !msg.fields.iter().any(|f| f.name == **key))
                .map_or("", String::as_str);
            let known: Vec<&str> = msg.fields.iter().map(|f| f.name.as_str()).collect();
            return Err(Ctx::Field(ctx, unknown).fail(format!(
                "unknown field of {} (fields: {})",
                msg.name,
                known.join(", ")
            )));
        }
        Ok(())
    }

    fn field(&mut self, field: &Field, value: &Value, ctx: &Ctx<'_>) -> Result<(), Error> {
        if field.is_bytes() {
            return self.bytes(field.array, value, ctx);
        }
        let items = match field.array {
            ArrayLen::Single => return self.element(&field.kind, value, ctx),
            ArrayLen::Var | ArrayLen::Fixed(_) => match value {
                Value::Array(items) => items,
                _ => return Err(ctx.fail(format!("expected an array, got {}", json_kind(value)))),
            },
        };
        match field.array {
            ArrayLen::Fixed(n) if items.len() != n => {
                return Err(ctx.fail(format!("expected exactly {n} elements, got {}", items.len())));
            }
            ArrayLen::Fixed(_) => {}
            _ => self.count(items.len(), ctx)?,
        }
        for (index, item) in items.iter().enumerate() {
            self.element(&field.kind, item, &Ctx::Index(ctx, index))?;
        }
        Ok(())
    }

    fn count(&mut self, len: usize, ctx: &Ctx<'_>) -> Result<(), Error> {
        let len = u32::try_from(len).map_err(|_| ctx.fail("longer than 2^32 - 1"))?;
        self.out.extend_from_slice(&len.to_le_bytes());
        Ok(())
    }

    fn bytes(&mut self, array: ArrayLen, value: &Value, ctx: &Ctx<'_>) -> Result<(), Error> {
        let decoded;
        let bytes: &[u8] = match value {
            Value::Object(object) => {
                let index = match (object.len(), object.get("$bin")) {
                    (1, Some(Value::Number(n))) => n.as_u64(),
                    _ => None,
                }
                .ok_or_else(|| ctx.fail("a byte array object must be {\"$bin\": index}"))?;
                usize::try_from(index).ok().and_then(|i| self.attachments.get(i)).ok_or_else(
                    || {
                        ctx.fail(format!(
                            "{{\"$bin\": {index}}} but there are {} attachments",
                            self.attachments.len()
                        ))
                    },
                )?
            }
            Value::String(text) => {
                decoded = BASE64
                    .decode(text)
                    .map_err(|e| ctx.fail(format!("invalid base64 (RFC 4648, padded): {e}")))?;
                &decoded
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    let byte = integer(item, 0, 255, "uint8", &Ctx::Index(ctx, index))?;
                    out.push(u8::try_from(byte).unwrap_or_default());
                }
                decoded = out;
                &decoded
            }
            _ => {
                return Err(ctx.fail(format!(
                    "expected bytes ({{\"$bin\": i}}, base64 or an array of numbers), got {}",
                    json_kind(value)
                )));
            }
        };
        match array {
            ArrayLen::Fixed(n) if bytes.len() != n => {
                return Err(ctx.fail(format!("expected exactly {n} bytes, got {}", bytes.len())));
            }
            ArrayLen::Fixed(_) => {}
            _ => self.count(bytes.len(), ctx)?,
        }
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    fn element(&mut self, kind: &Kind, value: &Value, ctx: &Ctx<'_>) -> Result<(), Error> {
        macro_rules! int {
            ($t:ty) => {{
                let n = integer(value, <$t>::MIN.into(), <$t>::MAX.into(), kind_name(kind), ctx)?;
                let n = <$t>::try_from(n).unwrap_or_default();
                self.out.extend_from_slice(&n.to_le_bytes());
            }};
        }
        match kind {
            Kind::Bool => match value {
                Value::Bool(b) => self.out.push(u8::from(*b)),
                _ => return Err(ctx.fail(format!("expected a boolean, got {}", json_kind(value)))),
            },
            Kind::I8 => int!(i8),
            Kind::U8 => int!(u8),
            Kind::I16 => int!(i16),
            Kind::U16 => int!(u16),
            Kind::I32 => int!(i32),
            Kind::U32 => int!(u32),
            Kind::I64 => int!(i64),
            Kind::U64 => int!(u64),
            #[allow(clippy::cast_possible_truncation)] // float64 to float32 rounds, as rospy does
            Kind::F32 => self.out.extend_from_slice(&(float(value, ctx)? as f32).to_le_bytes()),
            Kind::F64 => self.out.extend_from_slice(&float(value, ctx)?.to_le_bytes()),
            Kind::String => match value {
                Value::String(text) => {
                    self.count(text.len(), ctx)?;
                    self.out.extend_from_slice(text.as_bytes());
                }
                _ => return Err(ctx.fail(format!("expected a string, got {}", json_kind(value)))),
            },
            Kind::Time => {
                let (secs, nsecs) = stamp(value, 0, u32::MAX.into(), "time", ctx)?;
                for part in [secs, nsecs] {
                    self.out
                        .extend_from_slice(&u32::try_from(part).unwrap_or_default().to_le_bytes());
                }
            }
            Kind::Duration => {
                let (secs, nsecs) =
                    stamp(value, i32::MIN.into(), i32::MAX.into(), "duration", ctx)?;
                for part in [secs, nsecs] {
                    self.out
                        .extend_from_slice(&i32::try_from(part).unwrap_or_default().to_le_bytes());
                }
            }
            Kind::Msg(msg) => self.message(msg, value, ctx)?,
        }
        Ok(())
    }
}

/// The serialized size of a field's default value (all zero bytes).
fn field_size_min(field: &Field) -> usize {
    match field.array {
        ArrayLen::Single => field.kind.min_size(),
        ArrayLen::Var => 4,
        ArrayLen::Fixed(n) => field.kind.min_size().saturating_mul(n),
    }
}

fn integer(
    value: &Value,
    low: i128,
    high: i128,
    type_name: &str,
    ctx: &Ctx<'_>,
) -> Result<i128, Error> {
    let Value::Number(number) = value else {
        return Err(
            ctx.fail(format!("expected an integer ({type_name}), got {}", json_kind(value)))
        );
    };
    let n = match (number.as_i64(), number.as_u64()) {
        (Some(i), _) => i128::from(i),
        (None, Some(u)) => i128::from(u),
        _ => return Err(ctx.fail(format!("expected an integer ({type_name}), got {number}"))),
    };
    if n < low || n > high {
        return Err(ctx.fail(format!("{n} is out of range for {type_name} ({low}..={high})")));
    }
    Ok(n)
}

fn float(value: &Value, ctx: &Ctx<'_>) -> Result<f64, Error> {
    match value {
        Value::Number(number) => Ok(number.as_f64().unwrap_or(f64::NAN)),
        // Non-finite floats are `null` in JSON (PROTOCOL.md §5).
        Value::Null => Ok(f64::NAN),
        _ => Err(ctx.fail(format!("expected a number, got {}", json_kind(value)))),
    }
}

fn stamp(
    value: &Value,
    low: i128,
    high: i128,
    type_name: &str,
    ctx: &Ctx<'_>,
) -> Result<(i128, i128), Error> {
    let Value::Object(object) = value else {
        return Err(ctx.fail(format!(
            "expected {{\"secs\": s, \"nsecs\": n}} ({type_name}), got {}",
            json_kind(value)
        )));
    };
    let mut parts = [0i128; 2];
    for (key, part) in object {
        let slot = match key.as_str() {
            "secs" => 0,
            "nsecs" => 1,
            _ => {
                return Err(Ctx::Field(ctx, key)
                    .fail(format!("unknown field of {type_name} (fields: secs, nsecs)")));
            }
        };
        let field_ctx = Ctx::Field(ctx, key);
        parts[slot] =
            integer(part, low, high, if slot == 0 { "secs" } else { "nsecs" }, &field_ctx)?;
    }
    Ok((parts[0], parts[1]))
}

/// A decode failure, with the field path collected innermost first while unwinding.
struct Failure {
    message: String,
    path: Vec<String>,
}

impl Failure {
    fn at(mut self, segment: impl FnOnce() -> String) -> Failure {
        self.path.push(segment());
        self
    }

    fn into_error(self, decoder: &Decoder<'_>) -> Error {
        let mut path = String::new();
        for segment in self.path.iter().rev() {
            if !path.is_empty() && !segment.starts_with('[') {
                path.push('.');
            }
            path.push_str(segment);
        }
        let message = if path.is_empty() {
            self.message
        } else {
            format!("field `{path}`: {}", self.message)
        };
        Error::Decode { message: format!("{message} (input of {} bytes)", decoder.bytes.len()) }
    }
}

struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
    attachments: Vec<Vec<u8>>,
}

impl<'a> Decoder<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Failure> {
        let rest = &self.bytes[self.pos..];
        if rest.len() < n {
            return Err(Failure {
                message: format!(
                    "truncated: {n} bytes needed at offset {}, {} left",
                    self.pos,
                    rest.len()
                ),
                path: Vec::new(),
            });
        }
        self.pos += n;
        Ok(&rest[..n])
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], Failure> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn count(&mut self, element_size: usize) -> Result<usize, Failure> {
        let count = u32::from_le_bytes(self.fixed()?) as usize;
        let left = self.bytes.len() - self.pos;
        let limit = left.checked_div(element_size).unwrap_or(MAX_EMPTY_ELEMENTS);
        if count > limit {
            return Err(Failure {
                message: format!("array length {count} does not fit in the {left} bytes left"),
                path: Vec::new(),
            });
        }
        Ok(count)
    }

    fn message(&mut self, msg: &MsgType) -> Result<Value, Failure> {
        let mut object = Map::new();
        for field in &msg.fields {
            let value = self.field(field).map_err(|f| f.at(|| field.name.clone()))?;
            object.insert(field.name.clone(), value);
        }
        Ok(Value::Object(object))
    }

    fn field(&mut self, field: &Field) -> Result<Value, Failure> {
        let count = match field.array {
            ArrayLen::Single => return self.element(&field.kind),
            ArrayLen::Var => self.count(field.kind.min_size())?,
            ArrayLen::Fixed(n) => n,
        };
        if field.is_bytes() {
            let bytes = self.take(count)?;
            let index = self.attachments.len();
            self.attachments.push(bytes.to_vec());
            let mut object = Map::new();
            object.insert("$bin".to_owned(), Value::from(index));
            return Ok(Value::Object(object));
        }
        let mut items = Vec::with_capacity(count.min(self.bytes.len() - self.pos));
        for index in 0..count {
            items.push(self.element(&field.kind).map_err(|f| f.at(|| format!("[{index}]")))?);
        }
        Ok(Value::Array(items))
    }

    fn element(&mut self, kind: &Kind) -> Result<Value, Failure> {
        Ok(match kind {
            Kind::Bool => Value::Bool(self.fixed::<1>()?[0] != 0),
            Kind::I8 => Value::from(i8::from_le_bytes(self.fixed()?)),
            Kind::U8 => Value::from(u8::from_le_bytes(self.fixed()?)),
            Kind::I16 => Value::from(i16::from_le_bytes(self.fixed()?)),
            Kind::U16 => Value::from(u16::from_le_bytes(self.fixed()?)),
            Kind::I32 => Value::from(i32::from_le_bytes(self.fixed()?)),
            Kind::U32 => Value::from(u32::from_le_bytes(self.fixed()?)),
            Kind::I64 => Value::from(i64::from_le_bytes(self.fixed()?)),
            Kind::U64 => Value::from(u64::from_le_bytes(self.fixed()?)),
            Kind::F32 => float_value(f64::from(f32::from_le_bytes(self.fixed()?))),
            Kind::F64 => float_value(f64::from_le_bytes(self.fixed()?)),
            Kind::String => {
                let len = self.count(1)?;
                let bytes = self.take(len)?;
                Value::String(String::from_utf8_lossy(bytes).into_owned())
            }
            Kind::Time => {
                let secs = u32::from_le_bytes(self.fixed()?);
                let nsecs = u32::from_le_bytes(self.fixed()?);
                stamp_value(secs.into(), nsecs.into())
            }
            Kind::Duration => {
                let secs = i32::from_le_bytes(self.fixed()?);
                let nsecs = i32::from_le_bytes(self.fixed()?);
                stamp_value(secs.into(), nsecs.into())
            }
            Kind::Msg(msg) => self.message(msg)?,
        })
    }
}

fn float_value(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

fn stamp_value(secs: i64, nsecs: i64) -> Value {
    let mut object = Map::new();
    object.insert("secs".to_owned(), Value::from(secs));
    object.insert("nsecs".to_owned(), Value::from(nsecs));
    Value::Object(object)
}
