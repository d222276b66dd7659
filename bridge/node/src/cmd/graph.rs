//! `describe`, `watch_graph`, `unwatch_graph`.

use std::sync::Arc;

use bridge_protocol::{ErrorBody, Event};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::Outcome;
use crate::access::Class;
use crate::server::Session;

pub(super) async fn describe(session: &Session, type_name: &str) -> Outcome {
    Ok(session.backend.describe(type_name).await.map_err(ErrorBody::from)?.into())
}

fn visible(session: &Session, name: &str) -> bool {
    Class::ALL.into_iter().any(|class| session.config.policy.allows(class, name))
}

pub(super) fn watch(session: &Arc<Session>) -> Outcome {
    let mut slot = session.graph_watch.lock().unwrap_or_else(|e| e.into_inner());
    if slot.is_none() {
        let mut events = session.backend.graph_events();
        let task_session = session.clone();
        let task = tokio::spawn(async move {
            loop {
                let change = match events.recv().await {
                    Ok(change) => change,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return,
                };
                let keep = |names: Vec<String>| -> Vec<String> {
                    names.into_iter().filter(|n| visible(&task_session, n)).collect()
                };
                let (added, removed) = (keep(change.added), keep(change.removed));
                if !added.is_empty() || !removed.is_empty() {
                    task_session.out.event(&Event::Graph { added, removed }, vec![]);
                }
            }
        });
        *slot = Some(task.abort_handle());
    }
    Ok(json!({}).into())
}

pub(super) fn unwatch(session: &Session) -> Outcome {
    if let Some(handle) = session.graph_watch.lock().unwrap_or_else(|e| e.into_inner()).take() {
        handle.abort();
    }
    Ok(json!({}).into())
}
