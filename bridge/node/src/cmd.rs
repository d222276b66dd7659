//! Request dispatch: one module per family of operations (mini-redis `cmd/`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bridge_protocol::{ErrorBody, ErrorCode, Op, PROTOCOL_VERSION, Reply, Request};
use serde_json::{Value, json};

use crate::backend::{Payload, now_stamp};
use crate::server::{self, Session};

mod graph;
mod param;
mod service;
mod topic;

/// A successful answer: result, attachments, and work to start once the reply is queued
/// (so that e.g. the first `msg` event of a subscription follows its reply).
pub(crate) struct Answer {
    result: Value,
    attachments: Vec<Vec<u8>>,
    after: Option<Box<dyn FnOnce() + Send>>,
}

impl From<Value> for Answer {
    fn from(result: Value) -> Self {
        Answer { result, attachments: Vec::new(), after: None }
    }
}

type Outcome = Result<Answer, ErrorBody>;

/// Answers `hello`: checks the version and records capabilities.
pub(crate) fn hello(session: &Session, request: &Request) -> Reply {
    let Op::Hello { protocol, capabilities, .. } = &request.op else {
        return Reply::err(Some(request.id), ErrorBody::new(ErrorCode::Internal, "not a hello"));
    };
    if *protocol != PROTOCOL_VERSION {
        let mut error = ErrorBody::new(
            ErrorCode::InvalidRequest,
            format!("unsupported protocol version {protocol}"),
        );
        error.detail = Some(json!({"supported": [PROTOCOL_VERSION]}));
        return Reply::err(Some(request.id), error);
    }
    let binary = capabilities.iter().any(|c| c == "binary");
    session.binary.store(binary, Ordering::Relaxed);
    let config = &session.config;
    Reply::ok(
        request.id,
        json!({
            "protocol": PROTOCOL_VERSION,
            "server_version": env!("CARGO_PKG_VERSION"),
            "session_id": session.session_id,
            "backend": session.backend.name(),
            "capabilities": if binary { vec!["binary"] } else { vec![] },
            "limits": {
                "max_frame": config.max_frame,
                "max_inflight": config.max_inflight,
                "send_budget": config.send_budget,
            },
            "ros": {"connected": session.backend.available()},
        }),
    )
}

/// Runs one request and queues its reply.
pub(crate) async fn execute(session: &Arc<Session>, request: Request) {
    let id = request.id;
    let outcome = dispatch(session, request).await;
    match outcome {
        Ok(answer) => {
            let mut reply = Reply::ok(id, answer.result);
            reply.attachments = answer.attachments;
            session.out.reply(&reply);
            if let Some(after) = answer.after {
                after();
            }
        }
        Err(error) => session.out.reply(&Reply::err(Some(id), error)),
    }
}

async fn dispatch(session: &Arc<Session>, request: Request) -> Outcome {
    let attachments = request.attachments;
    match request.op {
        Op::Hello { .. } => {
            Err(ErrorBody::new(ErrorCode::InvalidRequest, "`hello` was already answered"))
        }
        Op::Ping {} => Ok(json!({"time": now_stamp()}).into()),
        Op::ListTopics { filter } => topic::list(session, filter.as_deref()).await,
        Op::ListServices { filter } => service::list(session, filter.as_deref()).await,
        Op::ListParams { filter } => param::list(session, filter.as_deref()).await,
        Op::Describe { type_name } => graph::describe(session, &type_name).await,
        Op::Advertise { topic, type_name, latch } => {
            topic::advertise(session, &topic, &type_name, latch).await
        }
        Op::Unadvertise { topic } => topic::unadvertise(session, &topic).await,
        Op::Publish { topic, msg, type_name, ack } => {
            topic::publish(session, &topic, type_name.as_deref(), Payload { msg, attachments }, ack)
                .await
        }
        Op::Subscribe { topic, sub_id, type_name, mode, queue_length, policy, throttle_ms } => {
            topic::subscribe(
                session,
                topic::SubscribeArgs {
                    topic,
                    sub_id,
                    type_name,
                    mode,
                    queue_length,
                    policy,
                    throttle_ms,
                },
            )
            .await
        }
        Op::Unsubscribe { sub_id } => topic::unsubscribe(session, sub_id),
        Op::GetLatest { topic, max_age_ms, wait_ms, after_seq } => {
            topic::get_latest(session, &topic, max_age_ms, wait_ms, after_seq).await
        }
        Op::CallService { service, args, type_name, timeout_ms } => {
            let args = Payload { msg: args, attachments };
            service::call(session, &service, type_name.as_deref(), args, timeout_ms).await
        }
        Op::ParamGet { name } => param::get(session, &name).await,
        Op::ParamSet { name, value } => {
            param::set(session, &name, Payload { msg: value, attachments }).await
        }
        Op::ParamDelete { name } => param::delete(session, &name).await,
        Op::WatchGraph {} => graph::watch(session),
        Op::UnwatchGraph {} => graph::unwatch(session),
    }
}

/// The JSON and attachments to send to this client for a stored payload: attachments as-is
/// for `binary` clients, inlined as base64 strings otherwise.
pub(crate) fn render(session: &Session, payload: &Payload) -> (Value, Vec<Vec<u8>>) {
    if server::binary(session) {
        (payload.msg.clone(), payload.attachments.clone())
    } else {
        (bridge_protocol::payload::inline_base64(&payload.msg, &payload.attachments), Vec::new())
    }
}

/// Keeps names that match the optional `filter` glob.
pub(crate) fn filter_matches(filter: Option<&str>, name: &str) -> Result<bool, ErrorBody> {
    match filter {
        None => Ok(true),
        Some(pattern) => crate::access::Glob::new(pattern)
            .map(|g| g.matches(name))
            .map_err(|e| ErrorBody::new(ErrorCode::InvalidRequest, e.to_string())),
    }
}
