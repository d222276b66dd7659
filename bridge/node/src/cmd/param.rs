//! `list_params`, `param_get`, `param_set`, `param_delete`.

use bridge_protocol::{ErrorBody, ErrorCode};
use serde_json::json;

use super::{Outcome, filter_matches};
use crate::access::Class;
use crate::backend::Payload;
use crate::server::Session;

pub(super) async fn list(session: &Session, filter: Option<&str>) -> Outcome {
    let mut names = Vec::new();
    for name in session.backend.params().await.map_err(ErrorBody::from)? {
        if session.config.policy.allows(Class::ParamRead, &name) && filter_matches(filter, &name)? {
            names.push(name);
        }
    }
    Ok(json!({"params": names}).into())
}

pub(super) async fn get(session: &Session, name: &str) -> Outcome {
    session.check(Class::ParamRead, name)?;
    let value = session.backend.param_get(name).await.map_err(ErrorBody::from)?;
    Ok(json!({"name": name, "value": value}).into())
}

pub(super) async fn set(session: &Session, name: &str, value: Payload) -> Outcome {
    session.check(Class::ParamWrite, name)?;
    if !value.attachments.is_empty() {
        return Err(ErrorBody::new(
            ErrorCode::InvalidRequest,
            "parameters cannot carry attachments",
        ));
    }
    session.backend.param_set(name, value.msg).await.map_err(ErrorBody::from)?;
    Ok(json!({}).into())
}

pub(super) async fn delete(session: &Session, name: &str) -> Outcome {
    session.check(Class::ParamWrite, name)?;
    session.backend.param_delete(name).await.map_err(ErrorBody::from)?;
    Ok(json!({}).into())
}
