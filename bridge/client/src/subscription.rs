//! [`Subscription`] (a stream of [`Message`]s) and [`GraphWatch`] (a stream of
//! [`GraphEvent`]s); both end the bridge-side state when dropped.

use std::pin::Pin;
use std::task::{Context, Poll};

use bridge_protocol::Op;
use futures_core::Stream;
use tokio::sync::mpsc;

use crate::client::Client;
use crate::error::Result;
use crate::message::{GraphEvent, Message};

/// A subscription to a topic: `next().await` (or the [`Stream`]) yields its messages, each
/// with its `seq` and the number of messages `dropped` before it. Ends (`None`) when the
/// connection is lost. Dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    client: Client,
    sub_id: u64,
    topic: String,
    queue_length: Option<u64>,
    rx: mpsc::Receiver<Message>,
    active: bool,
}

impl Subscription {
    pub(crate) fn new(
        client: Client,
        sub_id: u64,
        topic: String,
        queue_length: Option<u64>,
        rx: mpsc::Receiver<Message>,
    ) -> Self {
        Subscription { client, sub_id, topic, queue_length, rx, active: true }
    }

    /// The next message; `None` once the connection is lost.
    pub async fn next(&mut self) -> Option<Message> {
        self.rx.recv().await
    }

    /// A message already received, without waiting.
    pub fn try_next(&mut self) -> Option<Message> {
        self.rx.try_recv().ok()
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The client-chosen subscription id.
    pub fn sub_id(&self) -> u64 {
        self.sub_id
    }

    /// The bridge's queue length for this subscription.
    pub fn queue_length(&self) -> Option<u64> {
        self.queue_length
    }

    /// Unsubscribes and waits for the bridge's answer (dropping does the same without
    /// waiting).
    pub async fn unsubscribe(mut self) -> Result<()> {
        self.active = false;
        self.client.shared.remove_subscription(self.sub_id);
        let op = Op::Unsubscribe { sub_id: self.sub_id };
        self.client.shared.request(op, Vec::new(), std::time::Duration::from_secs(10)).await?;
        Ok(())
    }
}

impl Stream for Subscription {
    type Item = Message;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if self.active {
            self.client.shared.remove_subscription(self.sub_id);
            self.client.shared.send_nowait(Op::Unsubscribe { sub_id: self.sub_id });
        }
    }
}

/// Graph changes from [`Client::watch_graph`]: `next().await` (or the [`Stream`]) yields
/// them. Ends (`None`) when the connection is lost.
#[derive(Debug)]
pub struct GraphWatch {
    client: Client,
    watch_id: u64,
    rx: mpsc::UnboundedReceiver<GraphEvent>,
}

impl GraphWatch {
    pub(crate) fn new(
        client: Client,
        watch_id: u64,
        rx: mpsc::UnboundedReceiver<GraphEvent>,
    ) -> Self {
        GraphWatch { client, watch_id, rx }
    }

    /// The next change; `None` once the connection is lost.
    pub async fn next(&mut self) -> Option<GraphEvent> {
        self.rx.recv().await
    }

    /// A change already received, without waiting.
    pub fn try_next(&mut self) -> Option<GraphEvent> {
        self.rx.try_recv().ok()
    }
}

impl Stream for GraphWatch {
    type Item = GraphEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<GraphEvent>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for GraphWatch {
    fn drop(&mut self) {
        if self.client.shared.remove_graph_watcher(self.watch_id) {
            self.client.shared.send_nowait(Op::UnwatchGraph {});
        }
    }
}
