//! The master monitor: one round every [`super::POLL`] checks the master's liveness, notices
//! roscore restarts (and registers everything again), creates the rosrust node, registers the
//! subscribed topics, connects to new publishers and drops topics no client uses any more.

use super::*;

impl Shared {
    /// One monitor round: liveness, restarts, node creation, publisher discovery, graph.
    pub(super) async fn poll(self: &Arc<Self>) {
        let run_id = match self.blocking(|m| m.get_param("/run_id")).await {
            Ok(xml_rpc::Value::String(id)) => Some(id),
            Ok(_) | Err(CallError::Failure(_)) => None,
            Err(CallError::Unreachable { .. }) => return,
        };
        if self.node().is_none() && !self.create_node().await {
            self.set_available(false);
            return;
        }
        let previous = lock(&self.monitor).run_id.clone();
        if previous.is_some() && run_id != previous {
            tracing::warn!(?run_id, "the ROS master restarted: registering again");
            self.reregister().await;
        }
        lock(&self.monitor).run_id = run_id;
        self.set_available(true);
        let Ok(state) = self.blocking(Api::get_system_state).await else { return };
        self.discover_publishers(&state).await;
        self.graph_events(&state).await;
    }

    /// Creates the rosrust node (its slave API serves `requestTopic` for our publishers).
    async fn create_node(&self) -> bool {
        let name = self.node_name.clone();
        match tokio::task::spawn_blocking(move || Ros::new(&name)).await {
            Ok(Ok(ros)) => {
                tracing::info!(name = ros.name(), uri = ros.uri(), "ROS node created");
                *lock(&self.node) = Some(Arc::new(ros));
                true
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "creating the ROS node failed");
                false
            }
            Err(error) => {
                tracing::warn!(%error, "creating the ROS node panicked");
                false
            }
        }
    }

    /// After a roscore restart: forget connections and registrations, re-create publishers
    /// (re-sending latched messages); subscribers are registered again by `discover_publishers`.
    async fn reregister(self: &Arc<Self>) {
        for topic in self.topics.lock().values_mut() {
            topic.registered = false;
            topic.publishers.clear();
            for (_, link) in topic.links.drain() {
                link.abort();
            }
        }
        self.pools.clear();
        lock(&self.service_types).clear();
        let Some(ros) = self.node() else { return };
        // Every advertised topic turns pending under the lock; the master calls run without it.
        let old: Vec<(Claim<'_>, Pub)> = {
            let mut publishers = lock(&self.publishers);
            let ready: Vec<String> = publishers
                .iter()
                .filter(|(_, slot)| matches!(slot, Slot::Ready(_)))
                .map(|(topic, _)| topic.clone())
                .collect();
            ready
                .into_iter()
                .filter_map(|topic| match publishers.remove(&topic) {
                    Some(Slot::Ready(publisher)) => {
                        Some((Claim::new(self, &topic, &mut publishers), publisher))
                    }
                    _ => None,
                })
                .collect()
        };
        for (claim, publisher) in old {
            let Pub { msg_type, latch, seq, last, .. } = &publisher;
            let (msg_type, latch, seq, last) = (msg_type.clone(), *latch, *seq, last.clone());
            // Dropping unregisters from the (new) master: harmless, and frees the topic.
            let _ = tokio::task::spawn_blocking(move || drop(publisher)).await;
            match make_publisher(ros.clone(), &claim.topic, msg_type.clone(), latch).await {
                Ok(publisher) => {
                    if let Some(bytes) = &last
                        && let Err(error) = publisher.send(RawMessage(bytes.clone()))
                    {
                        let topic = &claim.topic;
                        tracing::warn!(topic, %error, "re-sending the latched message failed");
                    }
                    claim.fulfil(Pub { publisher, msg_type, latch, seq, last });
                }
                Err(error) => {
                    let topic = &claim.topic;
                    tracing::warn!(topic, %error, "re-advertising failed");
                }
            }
        }
    }

    /// Registers subscribed topics that are not registered yet, and connects to publishers
    /// that appeared since the last round.
    async fn discover_publishers(self: &Arc<Self>, state: &master::SystemState) {
        let (todo, expired) = self.sort_topics(state);
        for topic in expired {
            tracing::debug!(topic, "no client uses the topic any more: unsubscribing");
            self.unregister_subscriber(topic).await;
        }
        for topic in todo {
            if let Err(error) = self.register_topic(&topic).await {
                tracing::debug!(topic, %error, "registering the subscriber failed");
            }
        }
    }

    /// Under the topics lock: drops topics no client used for [`LINGER`] (returned second, to
    /// unregister) and lists those to (re-)register (returned first).
    fn sort_topics(&self, state: &master::SystemState) -> (Vec<String>, Vec<String>) {
        let mut todo = Vec::new();
        let mut expired = Vec::new();
        let mut topics = self.topics.lock();
        topics.retain(|name, topic| {
            if topic.fanout.subscriber_count() > 0 {
                topic.idle_since = None;
                return true;
            }
            let since = *topic.idle_since.get_or_insert_with(Instant::now);
            if since.elapsed() < LINGER {
                return true;
            }
            for (_, link) in topic.links.drain() {
                link.abort();
            }
            expired.push(name.clone());
            false
        });
        for (name, topic) in topics.iter_mut() {
            let nodes = state.publishers.get(name).cloned().unwrap_or_default();
            topic.links.retain(|_, link| !link.is_finished());
            let stale = nodes != topic.publishers || topic.links.len() < nodes.len();
            if !topic.registered || stale {
                topic.publishers = nodes;
                todo.push(name.clone());
            }
        }
        (todo, expired)
    }

    /// `unregisterSubscriber` (best effort).
    pub(super) async fn unregister_subscriber(&self, topic: String) {
        let Some(uri) = self.node_uri() else { return };
        let _ = self
            .blocking(move |m| {
                m.call(
                    "unregisterSubscriber",
                    vec![xml_rpc::Value::String(topic), xml_rpc::Value::String(uri)],
                )
            })
            .await;
    }

    /// `registerSubscriber` for `topic`, then connects to its publishers.
    pub(super) async fn register_topic(self: &Arc<Self>, topic: &str) -> Result<(), BackendError> {
        let node_uri = self.node_uri().ok_or(BackendError::Unavailable)?;
        let known = self.topics.lock().get(topic).and_then(|t| t.type_name.clone());
        let type_name = match known {
            Some(t) => t,
            None => self.topic_type(topic).await?.unwrap_or_else(|| "*".to_owned()),
        };
        let name = topic.to_owned();
        let registered_type = type_name.clone();
        let uris = self
            .blocking(move |m| m.register_subscriber(&name, &registered_type, &node_uri))
            .await
            .map_err(unavailable)?;
        if let Some(entry) = self.topics.lock().get_mut(topic) {
            entry.registered = true;
            if entry.type_name.is_none() && type_name != "*" {
                entry.type_name = Some(type_name);
            }
        }
        subscriber::connect_publishers(self, topic, uris);
        Ok(())
    }
}
