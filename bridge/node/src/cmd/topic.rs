//! `list_topics`, `advertise`, `unadvertise`, `publish`, `subscribe`, `unsubscribe`,
//! `get_latest`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bridge_protocol::{DropPolicy, ErrorBody, ErrorCode, Event, SubscribeMode};
use serde_json::json;

use super::{Answer, Outcome, filter_matches, render};
use crate::access::Class;
use crate::backend::{BackendError, Payload};
use crate::server::Session;

/// Largest accepted `queue_length`, `throttle_ms` and `wait_ms`.
const MAX_QUEUE_LENGTH: u32 = 10_000;
const MAX_WAIT_MS: u64 = 600_000;

pub(super) async fn list(session: &Session, filter: Option<&str>) -> Outcome {
    let policy = &session.config.policy;
    let mut topics = Vec::new();
    for (name, type_name) in session.backend.topics().await.map_err(ErrorBody::from)? {
        let subscribe = policy.allows(Class::Subscribe, &name);
        let publish = policy.allows(Class::Publish, &name);
        if (subscribe || publish) && filter_matches(filter, &name)? {
            topics.push(json!({"name": name, "type": type_name, "subscribe": subscribe, "publish": publish}));
        }
    }
    Ok(json!({"topics": topics}).into())
}

pub(super) async fn advertise(
    session: &Session,
    topic: &str,
    type_name: &str,
    latch: bool,
) -> Outcome {
    session.check(Class::Publish, topic)?;
    session.backend.advertise(topic, type_name, latch).await.map_err(ErrorBody::from)?;
    Ok(json!({}).into())
}

pub(super) async fn unadvertise(session: &Session, topic: &str) -> Outcome {
    session.check(Class::Publish, topic)?;
    session.backend.unadvertise(topic).await.map_err(ErrorBody::from)?;
    Ok(json!({}).into())
}

pub(super) async fn publish(
    session: &Session,
    topic: &str,
    type_name: Option<&str>,
    payload: Payload,
    ack: bool,
) -> Outcome {
    session.check(Class::Publish, topic)?;
    let seq = session.backend.publish(topic, type_name, payload).await.map_err(ErrorBody::from)?;
    // Without `ack` the reply is still sent (one reply per request) but carries no data.
    Ok(if ack { json!({"seq": seq}) } else { json!({}) }.into())
}

pub(super) struct SubscribeArgs {
    pub(super) topic: String,
    pub(super) sub_id: u64,
    pub(super) type_name: Option<String>,
    pub(super) mode: SubscribeMode,
    pub(super) queue_length: Option<u32>,
    pub(super) policy: DropPolicy,
    pub(super) throttle_ms: Option<u64>,
}

pub(super) async fn subscribe(session: &Arc<Session>, args: SubscribeArgs) -> Outcome {
    session.check(Class::Subscribe, &args.topic)?;
    let default_length = match args.mode {
        SubscribeMode::Stream => 32,
        SubscribeMode::Latest => 1,
    };
    let queue_length = args.queue_length.unwrap_or(default_length);
    if queue_length == 0 || queue_length > MAX_QUEUE_LENGTH {
        return Err(ErrorBody::new(
            ErrorCode::InvalidRequest,
            format!("queue_length must be between 1 and {MAX_QUEUE_LENGTH}"),
        ));
    }
    let throttle = Duration::from_millis(args.throttle_ms.unwrap_or(0).min(MAX_WAIT_MS));
    let in_use = || {
        ErrorBody::new(
            ErrorCode::InvalidRequest,
            format!("sub_id {} is already in use", args.sub_id),
        )
    };
    if session.subscriptions.lock().unwrap_or_else(|e| e.into_inner()).contains_key(&args.sub_id) {
        return Err(in_use());
    }
    let subscription = session
        .backend
        .subscribe(&args.topic, args.type_name.as_deref(), queue_length as usize, args.policy)
        .await
        .map_err(ErrorBody::from)?;
    // The backend call awaited: check again under the lock before taking the id.
    let mut subscriptions = session.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
    if subscriptions.contains_key(&args.sub_id) {
        return Err(in_use());
    }
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    let task_session = session.clone();
    let (sub_id, topic) = (args.sub_id, args.topic.clone());
    let task = tokio::spawn(async move {
        let _ = go_rx.await;
        let mut unsent = 0u64;
        while let Some(delivery) = subscription.queue.pop().await {
            // A message whose binary parts alone do not fit is dropped before any copy is made.
            let binary: usize = delivery.sample.payload.attachments.iter().map(Vec::len).sum();
            if !task_session.out.has_room(binary) {
                unsent += delivery.dropped + 1;
                continue;
            }
            let payload = &delivery.sample.payload;
            let binary_client = crate::server::binary(&task_session);
            // Binary clients get the sample's attachments as they are (one copy, into the
            // frame); the others get them inlined as base64.
            let (msg, inlined) = if binary_client {
                (payload.msg.clone(), Vec::new())
            } else {
                render(&task_session, payload)
            };
            let event = Event::Msg {
                sub_id,
                topic: topic.clone(),
                seq: delivery.seq,
                dropped: delivery.dropped + unsent,
                stamp_recv: delivery.sample.stamp,
                msg,
            };
            let queued = if binary_client {
                let parts: Vec<&[u8]> = payload.attachments.iter().map(Vec::as_slice).collect();
                task_session.out.event_parts(&event, &parts)
            } else {
                task_session.out.event(&event, inlined)
            };
            if queued {
                unsent = 0;
            } else {
                unsent += delivery.dropped + 1;
            }
            if !throttle.is_zero() {
                tokio::time::sleep(throttle).await;
            }
        }
    });
    subscriptions.insert(args.sub_id, task.abort_handle());
    Ok(Answer {
        result: json!({"sub_id": args.sub_id, "queue_length": queue_length}),
        attachments: Vec::new(),
        after: Some(Box::new(move || {
            let _ = go_tx.send(());
        })),
    })
}

pub(super) fn unsubscribe(session: &Session, sub_id: u64) -> Outcome {
    let handle = session.subscriptions.lock().unwrap_or_else(|e| e.into_inner()).remove(&sub_id);
    match handle {
        Some(handle) => {
            handle.abort();
            Ok(json!({}).into())
        }
        None => Err(ErrorBody::new(
            ErrorCode::NotFound,
            format!("no subscription with sub_id {sub_id}"),
        )),
    }
}

pub(super) async fn get_latest(
    session: &Session,
    topic: &str,
    max_age_ms: Option<u64>,
    wait_ms: Option<u64>,
    after_seq: Option<u64>,
) -> Outcome {
    session.check(Class::Subscribe, topic)?;
    let deadline = Instant::now() + Duration::from_millis(wait_ms.unwrap_or(0).min(MAX_WAIT_MS));
    let after_seq = after_seq.unwrap_or(0);
    loop {
        let (sample, mut changes) = session.backend.latest(topic).await.map_err(ErrorBody::from)?;
        if let Some(sample) = sample.filter(|s| {
            s.seq > after_seq
                && max_age_ms.is_none_or(|ms| s.received.elapsed() <= Duration::from_millis(ms))
        }) {
            let (msg, attachments) = render(session, &sample.payload);
            return Ok(Answer {
                result: json!({"topic": topic, "seq": sample.seq, "stamp_recv": sample.stamp, "msg": msg}),
                attachments,
                after: None,
            });
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() || tokio::time::timeout(remaining, changes.changed()).await.is_err()
        {
            return Err(BackendError::NoData(topic.to_owned()).into());
        }
    }
}
