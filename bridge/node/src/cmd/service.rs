//! `list_services`, `call_service`.

use std::time::Duration;

use bridge_protocol::ErrorBody;
use serde_json::json;

use super::{Answer, Outcome, filter_matches, render};
use crate::access::Class;
use crate::backend::Payload;
use crate::server::Session;

/// Default service call timeout (10 s) and the largest accepted one (10 min).
const DEFAULT_TIMEOUT_MS: u64 = 10_000;
const MAX_TIMEOUT_MS: u64 = 600_000;

pub(super) async fn list(session: &Session, filter: Option<&str>) -> Outcome {
    let mut services = Vec::new();
    for (name, type_name) in session.backend.services().await.map_err(ErrorBody::from)? {
        if session.config.policy.allows(Class::Call, &name) && filter_matches(filter, &name)? {
            services.push(json!({"name": name, "type": type_name}));
        }
    }
    Ok(json!({"services": services}).into())
}

pub(super) async fn call(
    session: &Session,
    service: &str,
    type_name: Option<&str>,
    args: Payload,
    timeout_ms: Option<u64>,
) -> Outcome {
    session.check(Class::Call, service)?;
    let timeout =
        Duration::from_millis(timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS).min(MAX_TIMEOUT_MS));
    let values =
        session.backend.call(service, type_name, args, timeout).await.map_err(ErrorBody::from)?;
    let (values, attachments) = render(session, &values);
    Ok(Answer { result: json!({"values": values}), attachments, after: None })
}
