//! The `.msg` / `.srv` text format, read as genmsg's `msg_loader.py` reads it.
//!
//! Pure functions over `&str`; the caller adds the file name to errors.

#[cfg(test)]
mod tests;

/// A builtin type, spelled as in the file (`byte` and `char` keep their names for the md5 text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prim {
    Bool,
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float32,
    Float64,
    String,
    Time,
    Duration,
    Byte,
    Char,
}

impl Prim {
    pub(crate) fn from_name(name: &str) -> Option<Prim> {
        Some(match name {
            "bool" => Prim::Bool,
            "int8" => Prim::Int8,
            "uint8" => Prim::UInt8,
            "int16" => Prim::Int16,
            "uint16" => Prim::UInt16,
            "int32" => Prim::Int32,
            "uint32" => Prim::UInt32,
            "int64" => Prim::Int64,
            "uint64" => Prim::UInt64,
            "float32" => Prim::Float32,
            "float64" => Prim::Float64,
            "string" => Prim::String,
            "time" => Prim::Time,
            "duration" => Prim::Duration,
            "byte" => Prim::Byte,
            "char" => Prim::Char,
            _ => return None,
        })
    }

    /// Inclusive integer range of an integer type (`byte` = int8, `char` = uint8).
    pub(crate) fn int_range(self) -> Option<(i128, i128)> {
        Some(match self {
            Prim::Int8 | Prim::Byte => (i8::MIN.into(), i8::MAX.into()),
            Prim::UInt8 | Prim::Char => (0, u8::MAX.into()),
            Prim::Int16 => (i16::MIN.into(), i16::MAX.into()),
            Prim::UInt16 => (0, u16::MAX.into()),
            Prim::Int32 => (i32::MIN.into(), i32::MAX.into()),
            Prim::UInt32 => (0, u32::MAX.into()),
            Prim::Int64 => (i64::MIN.into(), i64::MAX.into()),
            Prim::UInt64 => (0, u64::MAX.into()),
            _ => return None,
        })
    }
}

/// `T`, `T[]` or `T[N]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArrayLen {
    Single,
    Var,
    Fixed(usize),
}

/// A field's element type: builtin, or a message named `pkg/Name` (already resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BaseType {
    Prim(Prim),
    Msg(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldSpec {
    pub(crate) name: String,
    pub(crate) base: BaseType,
    pub(crate) array: ArrayLen,
    /// The type as genmsg records it: builtins as written (`float64[36]`), message types with
    /// their package (`std_msgs/Header`, `geometry_msgs/Point[]`).
    pub(crate) type_text: String,
}

/// A constant's value, converted as genmsg's `convert_constant_value` does.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ConstValue {
    Bool(bool),
    Int(i128),
    Float(f64),
    String(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConstSpec {
    pub(crate) type_name: String,
    pub(crate) name: String,
    pub(crate) value: ConstValue,
    /// The value's original text, trimmed (what goes in the md5 text).
    pub(crate) text: String,
}

/// One parsed message (a `.msg` file, or one half of a `.srv`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MsgSpec {
    pub(crate) full_name: String,
    pub(crate) text: String,
    pub(crate) constants: Vec<ConstSpec>,
    pub(crate) fields: Vec<FieldSpec>,
}

/// A problem at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

/// `[A-Za-z][A-Za-z0-9_]*`, genmsg's legal base name (also guards file lookups).
pub(crate) fn is_base_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits `pkg/Name` into its two valid base names.
pub(crate) fn split_type_name(name: &str) -> Option<(&str, &str)> {
    let (package, base) = name.split_once('/')?;
    (is_base_name(package) && is_base_name(base)).then_some((package, base))
}

fn strip_comment(line: &str) -> &str {
    line.split('#').next().unwrap_or("").trim()
}

/// Parses the text of message `full_name` (`pkg/Name`); line numbers start at `first_line`.
pub(crate) fn parse_msg(
    full_name: &str,
    text: &str,
    first_line: usize,
) -> Result<MsgSpec, ParseError> {
    let package = full_name.split_once('/').map_or("", |(package, _)| package);
    let mut spec = MsgSpec {
        full_name: full_name.to_owned(),
        text: text.to_owned(),
        constants: Vec::new(),
        fields: Vec::new(),
    };
    for (index, line) in text.split('\n').enumerate() {
        let line_no = first_line + index;
        let error = |message: String| ParseError { line: line_no, message };
        let clean = strip_comment(line);
        if clean.is_empty() {
            continue;
        }
        if clean.contains('=') {
            spec.constants.push(parse_constant(line, clean).map_err(error)?);
        } else {
            let field = parse_field(clean, package).map_err(error)?;
            if spec.fields.iter().any(|f| f.name == field.name) {
                return Err(error(format!("duplicate field `{}`", field.name)));
            }
            spec.fields.push(field);
        }
    }
    Ok(spec)
}

fn parse_constant(line: &str, clean: &str) -> Result<ConstSpec, String> {
    let type_name = clean.split_whitespace().next().unwrap_or("");
    let prim = Prim::from_name(type_name)
        .filter(|p| !matches!(p, Prim::Time | Prim::Duration))
        .ok_or_else(|| format!("`{type_name}` is not a legal constant type"))?;
    let (name, raw) = if prim == Prim::String {
        // Everything after the first `=` of the raw line is the value, `#` included.
        let (head, value) = line.split_once('=').unwrap_or((line, ""));
        let name = head.trim().strip_prefix(type_name).unwrap_or("").trim();
        (name, value)
    } else {
        let rest = clean.strip_prefix(type_name).unwrap_or("");
        let parts: Vec<&str> = rest.split('=').collect();
        if parts.len() != 2 {
            return Err(format!("invalid constant declaration `{}`", line.trim()));
        }
        (parts[0].trim(), parts[1])
    };
    if !is_base_name(name) {
        return Err(format!("`{name}` is not a legal constant name"));
    }
    let text = raw.trim().to_owned();
    let value = match prim {
        Prim::String => ConstValue::String(text.clone()),
        Prim::Float32 | Prim::Float64 => ConstValue::Float(
            text.parse().map_err(|_| format!("invalid {type_name} constant value `{text}`"))?,
        ),
        Prim::Bool => ConstValue::Bool(match text.as_str() {
            "True" | "true" | "1" => true,
            "False" | "false" | "0" => false,
            _ => return Err(format!("invalid bool constant value `{text}`")),
        }),
        _ => {
            let (low, high) = prim.int_range().expect("integer constant type");
            let value: i128 =
                text.parse().map_err(|_| format!("invalid {type_name} constant value `{text}`"))?;
            if value < low || value > high {
                return Err(format!("constant value {value} out of range for {type_name}"));
            }
            ConstValue::Int(value)
        }
    };
    Ok(ConstSpec { type_name: type_name.to_owned(), name: name.to_owned(), value, text })
}

fn parse_field(clean: &str, package: &str) -> Result<FieldSpec, String> {
    let tokens: Vec<&str> = clean.split_whitespace().collect();
    let [type_token, name] = tokens[..] else {
        return Err(format!("invalid declaration `{clean}` (expected `TYPE NAME`)"));
    };
    if !is_base_name(name) {
        return Err(format!("`{name}` is not a legal field name"));
    }
    let (base_text, array) = parse_array(type_token)?;
    let (base, resolved) = if let Some(prim) = Prim::from_name(base_text) {
        (BaseType::Prim(prim), type_token.to_owned())
    } else {
        let full = if base_text == "Header" {
            "std_msgs/Header".to_owned()
        } else if base_text.contains('/') {
            if split_type_name(base_text).is_none() {
                return Err(format!("`{type_token}` is not a legal field type"));
            }
            base_text.to_owned()
        } else if is_base_name(base_text) && !package.is_empty() {
            format!("{package}/{base_text}")
        } else {
            return Err(format!("`{type_token}` is not a legal field type"));
        };
        let suffix = &type_token[base_text.len()..];
        (BaseType::Msg(full.clone()), format!("{full}{suffix}"))
    };
    Ok(FieldSpec { name: name.to_owned(), base, array, type_text: resolved })
}

fn parse_array(type_token: &str) -> Result<(&str, ArrayLen), String> {
    let Some((base, rest)) = type_token.split_once('[') else {
        return Ok((type_token, ArrayLen::Single));
    };
    let bad = || format!("`{type_token}` is not a legal field type (one array dimension at most)");
    let inner = rest.strip_suffix(']').ok_or_else(bad)?;
    if inner.is_empty() {
        Ok((base, ArrayLen::Var))
    } else if inner.bytes().all(|b| b.is_ascii_digit()) {
        Ok((base, ArrayLen::Fixed(inner.parse().map_err(|_| bad())?)))
    } else {
        Err(bad())
    }
}

/// The two halves of a `.srv`: (request text, its first line, response text, its first line),
/// split as genmsg does (at the first line starting with `---`, each line kept with its `\n`).
pub(crate) fn split_srv(text: &str) -> (String, usize, String, usize) {
    let mut request = String::new();
    let mut response = String::new();
    let mut response_first = 0;
    for (index, line) in text.split('\n').enumerate() {
        if line.starts_with("---") {
            // genmsg switches to the response on every delimiter line; later ones are dropped.
            if response_first == 0 {
                response_first = index + 2;
            }
            continue;
        }
        let half = if response_first == 0 { &mut request } else { &mut response };
        half.push_str(line);
        half.push('\n');
    }
    (request, 1, response, response_first.max(1))
}
