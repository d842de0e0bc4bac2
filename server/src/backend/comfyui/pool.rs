//! [`Pool`]: several ComfyUI instances (one per `--comfyui URL`) as one worker pool.
//!
//! - Health: `GET /system_stats` on every instance, every [`PROBE_INTERVAL`] in the background
//!   and at once whenever a job finds none healthy.
//! - Dispatch: a job takes a [`Lease`] on the healthy instance with the fewest jobs in flight
//!   (ours: ComfyUI runs one prompt at a time and queues the rest, so in-flight jobs are its
//!   queue length as far as we are concerned). Ties go to the first configured instance.
//! - Failover: an attempt that loses its instance marks it down and asks again, avoiding it
//!   while another is healthy; with none healthy the job waits (up to the pool's wait limit)
//!   for any instance to come back, the same one included.
//! - Batch nodes: each instance records whether it has our batch nodes
//!   (`comfyui_nodes/dgx_pixels`), asked from its `/object_info` when a probe finds it up. A
//!   prompt that batches several jobs goes only to an instance that has them
//!   ([`Pool::lease_for_batch`]); without one, the caller sends the jobs one prompt each.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::sync::Mutex;
use tracing::{debug, info, warn};

use super::api::ComfyClient;
use super::check::Catalog;
use super::error::ComfyError;
use super::workflow::{BATCH_NODES, SEND_IMAGES};

/// How often the background task probes every instance.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(5);
/// How often a job waiting for a healthy instance probes again.
pub const WAIT_PROBE_INTERVAL: Duration = Duration::from_millis(250);

/// [`Instance::batch_nodes`] before its `/object_info` answered (it is treated as lacking them).
const NODES_UNKNOWN: u8 = 0;
/// [`Instance::batch_nodes`]: `/object_info` lacks at least one of [`BATCH_NODES`].
const NODES_ABSENT: u8 = 1;
/// [`Instance::batch_nodes`]: `/object_info` has every one of [`BATCH_NODES`].
const NODES_PRESENT: u8 = 2;

/// One ComfyUI.
#[derive(Debug)]
pub struct Instance {
    client: ComfyClient,
    busy: AtomicUsize,
    healthy: AtomicBool,
    /// What its `/object_info` said, for the classes asked so far; a tokio mutex because
    /// filling it awaits HTTP.
    catalog: Mutex<Catalog>,
    /// Whether it has our batch nodes: `NODES_UNKNOWN`, `NODES_ABSENT` or `NODES_PRESENT`.
    /// Kept apart from the catalog so that dispatch can read it without awaiting the lock.
    batch_nodes: AtomicU8,
    /// Whether it has our [`SEND_IMAGES`] node (asked with the batch nodes).
    sends_frames: AtomicBool,
}

impl Instance {
    /// Its HTTP client.
    pub fn client(&self) -> &ComfyClient {
        &self.client
    }

    /// Its base URL.
    pub fn url(&self) -> &str {
        self.client.base()
    }

    /// Whether the last probe or job found it answering.
    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Acquire)
    }

    /// Jobs of ours in flight on it.
    pub fn busy(&self) -> usize {
        self.busy.load(Ordering::Acquire)
    }

    /// Whether its `/object_info` listed our batch nodes (false until it answered).
    pub fn has_batch_nodes(&self) -> bool {
        self.batch_nodes.load(Ordering::Acquire) == NODES_PRESENT
    }

    /// Whether its `/object_info` listed our [`SEND_IMAGES`] node, so a job's frames can come
    /// over the WebSocket (false until it answered).
    pub fn sends_frames(&self) -> bool {
        self.sends_frames.load(Ordering::Acquire)
    }

    /// The catalog, filled from `/object_info` for `workflow`'s classes; `refresh` forgets
    /// what was known first (a LoRA may have been added since).
    pub async fn catalog(&self, workflow: &super::workflow::Workflow, refresh: bool) -> Result<Catalog, ComfyError> {
        let mut catalog = self.catalog.lock().await;
        if refresh {
            *catalog = Catalog::default();
        }
        if !catalog.covers(workflow) {
            catalog.learn(&self.client, workflow).await?;
        }
        Ok(catalog.clone())
    }

    /// Asks `/system_stats` whether it is up; on a change, forgets what its `/object_info` said.
    /// Health is published only once the batch nodes are asked, so dispatch never sees a
    /// healthy instance whose nodes are still unknown; the catalog's lock keeps concurrent
    /// probes from seeing the same change twice.
    async fn probe(&self) -> bool {
        let ok = self.client.system_stats().await.is_ok();
        let mut catalog = self.catalog.lock().await;
        if ok != self.is_healthy() {
            if ok {
                info!(url = self.url(), "ComfyUI is up");
            } else {
                warn!(url = self.url(), "ComfyUI is down");
            }
            // A restarted ComfyUI may have other models and custom nodes; ask again.
            *catalog = Catalog::default();
            self.batch_nodes.store(NODES_UNKNOWN, Ordering::Release);
            self.sends_frames.store(false, Ordering::Release);
        }
        if ok && self.batch_nodes.load(Ordering::Acquire) == NODES_UNKNOWN {
            self.learn_batch_nodes(&mut catalog).await;
        }
        self.healthy.store(ok, Ordering::Release);
        ok
    }

    /// Asks `/object_info` whether our batch nodes and our frame sender are installed. An
    /// instance that does not answer stays unknown (treated as lacking them), and the next
    /// probe asks again.
    async fn learn_batch_nodes(&self, catalog: &mut Catalog) {
        let classes: Vec<String> = BATCH_NODES.iter().chain([&SEND_IMAGES]).map(ToString::to_string).collect();
        if let Err(err) = catalog.learn_classes(&self.client, classes).await {
            debug!(url = self.url(), error = %err, "cannot ask for the batch nodes yet");
            return;
        }
        let present = BATCH_NODES.iter().all(|class| catalog.has_node(class));
        self.batch_nodes.store(if present { NODES_PRESENT } else { NODES_ABSENT }, Ordering::Release);
        let sends_frames = catalog.has_node(SEND_IMAGES);
        self.sends_frames.store(sends_frames, Ordering::Release);
        info!(url = self.url(), batch_nodes = present, sends_frames, "ComfyUI custom nodes checked");
    }
}

/// A job's hold on an instance; dropping it frees the slot.
#[derive(Debug)]
pub struct Lease {
    instance: Arc<Instance>,
}

impl Lease {
    /// The instance held.
    pub fn instance(&self) -> &Instance {
        &self.instance
    }

    /// The instance held, shared.
    pub fn shared(&self) -> Arc<Instance> {
        Arc::clone(&self.instance)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.instance.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The configured instances.
#[derive(Debug)]
pub struct Pool {
    instances: Vec<Arc<Instance>>,
    wait_limit: Duration,
}

impl Pool {
    /// A pool of `urls`; a job waits at most `wait_limit` for a healthy instance. Starts with
    /// every instance unknown (unhealthy) until probed.
    pub fn new(urls: &[String], wait_limit: Duration) -> Result<Self, ComfyError> {
        let instances = urls
            .iter()
            .map(|url| {
                Ok(Arc::new(Instance {
                    client: ComfyClient::new(url)?,
                    busy: AtomicUsize::new(0),
                    healthy: AtomicBool::new(false),
                    catalog: Mutex::new(Catalog::default()),
                    batch_nodes: AtomicU8::new(NODES_UNKNOWN),
                    sends_frames: AtomicBool::new(false),
                }))
            })
            .collect::<Result<_, ComfyError>>()?;
        Ok(Self { instances, wait_limit })
    }

    /// Number of instances.
    pub fn len(&self) -> usize {
        self.instances.len()
    }

    /// Whether the pool has no instance at all.
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    /// The instances, in configured order.
    pub fn instances(&self) -> &[Arc<Instance>] {
        &self.instances
    }

    /// Whether any instance answered its last probe.
    pub fn any_healthy(&self) -> bool {
        self.instances.iter().any(|i| i.is_healthy())
    }

    /// Probes every instance at once; returns how many are healthy.
    pub async fn probe_all(&self) -> usize {
        join_all(self.instances.iter().map(|i| i.probe())).await.into_iter().filter(|ok| *ok).count()
    }

    /// The healthy instance with the fewest jobs in flight, preferring any but `avoid`.
    pub fn least_busy(&self, avoid: Option<&str>) -> Option<Arc<Instance>> {
        self.least_busy_where(avoid, |_| true)
    }

    /// [`Pool::least_busy`] among the instances that have our batch nodes.
    pub fn least_busy_with_batch_nodes(&self, avoid: Option<&str>) -> Option<Arc<Instance>> {
        self.least_busy_where(avoid, Instance::has_batch_nodes)
    }

    /// Where a prompt that batches several jobs through our nodes should run: the least busy
    /// healthy instance that has them, unless every such instance already has `free_below`
    /// jobs in flight while one without them has fewer (one prompt per job then puts that one
    /// to work as well). `None`: send the jobs one prompt each.
    pub fn batch_instance(&self, avoid: Option<&str>, free_below: usize) -> Option<Arc<Instance>> {
        let with = self.least_busy_with_batch_nodes(avoid)?;
        if with.busy() < free_below {
            return Some(with);
        }
        let without = self.least_busy_where(None, |i| !i.has_batch_nodes());
        let free_without = without.is_some_and(|i| i.busy() < free_below);
        (!free_without).then_some(with)
    }

    /// A lease on [`Pool::batch_instance`], at once and without waiting: `None` when the batch
    /// should go out one prompt per job instead.
    pub fn lease_for_batch(&self, avoid: Option<&str>, free_below: usize) -> Option<Lease> {
        self.batch_instance(avoid, free_below).map(lease)
    }

    /// The healthy instance with the fewest jobs in flight among those `eligible`, preferring
    /// any but `avoid`; ties go to the first configured.
    fn least_busy_where(&self, avoid: Option<&str>, eligible: impl Fn(&Instance) -> bool) -> Option<Arc<Instance>> {
        let healthy = || self.instances.iter().filter(|i| i.is_healthy() && eligible(i));
        let pick = |it: &mut dyn Iterator<Item = &Arc<Instance>>| it.min_by_key(|i| i.busy()).cloned();
        pick(&mut healthy().filter(|i| Some(i.url()) != avoid)).or_else(|| pick(&mut healthy()))
    }

    /// A lease on the least busy healthy instance, waiting (and probing) up to the wait limit
    /// while none is healthy.
    pub async fn acquire(&self, avoid: Option<&str>) -> Result<Lease, ComfyError> {
        let started = Instant::now();
        loop {
            if let Some(instance) = self.least_busy(avoid) {
                return Ok(lease(instance));
            }
            if started.elapsed() >= self.wait_limit {
                let urls = self.instances.iter().map(|i| i.url()).collect::<Vec<_>>().join(", ");
                return Err(ComfyError::NoInstance { urls, waited_s: started.elapsed().as_secs() });
            }
            if self.probe_all().await == 0 {
                tokio::time::sleep(WAIT_PROBE_INTERVAL).await;
            }
        }
    }

    /// Marks the leased instance down after it failed a job; the probes bring it back.
    pub fn mark_down(&self, lease: &Lease) {
        if lease.instance.healthy.swap(false, Ordering::AcqRel) {
            warn!(url = lease.instance.url(), "ComfyUI marked down after a failed job");
        }
    }
}

/// Takes a slot on `instance`.
fn lease(instance: Arc<Instance>) -> Lease {
    instance.busy.fetch_add(1, Ordering::AcqRel);
    debug!(url = instance.url(), busy = instance.busy(), "instance leased");
    Lease { instance }
}

/// Probes `pool` every [`PROBE_INTERVAL`] until the pool is dropped.
pub async fn keep_probing(pool: Weak<Pool>) {
    loop {
        let Some(pool) = pool.upgrade() else {
            return;
        };
        pool.probe_all().await;
        drop(pool);
        tokio::time::sleep(PROBE_INTERVAL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: usize) -> Pool {
        let urls: Vec<String> = (0..n).map(|i| format!("http://127.0.0.1:{}", 1 + i)).collect();
        Pool::new(&urls, Duration::from_millis(10)).unwrap()
    }

    #[test]
    fn dispatches_to_the_least_busy_healthy_instance() {
        let pool = pool(3);
        for i in &pool.instances {
            i.healthy.store(true, Ordering::Release);
        }
        pool.instances[0].busy.store(2, Ordering::Release);
        pool.instances[1].busy.store(1, Ordering::Release);
        pool.instances[2].healthy.store(false, Ordering::Release);
        assert_eq!(pool.least_busy(None).unwrap().url(), "http://127.0.0.1:2");
        assert_eq!(pool.least_busy(Some("http://127.0.0.1:2")).unwrap().url(), "http://127.0.0.1:1");
    }

    /// A batch goes only to an instance with the batch nodes: the least busy of them while it
    /// is free, else still there unless one without them is free; with none, nowhere.
    #[test]
    fn batches_go_only_to_instances_with_the_batch_nodes() {
        let pool = pool(3);
        for i in &pool.instances {
            i.healthy.store(true, Ordering::Release);
        }
        let nodes = [NODES_ABSENT, NODES_PRESENT, NODES_PRESENT];
        for (instance, nodes) in pool.instances.iter().zip(nodes) {
            instance.batch_nodes.store(nodes, Ordering::Release);
        }
        let url = |instance: Option<Arc<Instance>>| instance.map(|i| i.url().to_owned());
        assert_eq!(pool.least_busy(None).unwrap().url(), "http://127.0.0.1:1");
        assert_eq!(url(pool.batch_instance(None, 2)).as_deref(), Some("http://127.0.0.1:2"));
        pool.instances[1].busy.store(2, Ordering::Release);
        assert_eq!(url(pool.batch_instance(None, 2)).as_deref(), Some("http://127.0.0.1:3"));
        pool.instances[2].busy.store(2, Ordering::Release);
        assert_eq!(
            url(pool.batch_instance(None, 2)),
            None,
            "the free instance without the nodes takes one prompt per job"
        );
        pool.instances[0].busy.store(5, Ordering::Release);
        assert_eq!(url(pool.batch_instance(None, 2)).as_deref(), Some("http://127.0.0.1:2"));
        pool.instances[1].healthy.store(false, Ordering::Release);
        pool.instances[2].batch_nodes.store(NODES_UNKNOWN, Ordering::Release);
        assert!(pool.lease_for_batch(None, usize::MAX).is_none());
        assert_eq!(pool.instances[0].busy(), 5);
    }

    #[tokio::test]
    async fn a_lease_holds_a_slot_until_dropped() {
        let pool = pool(1);
        pool.instances[0].healthy.store(true, Ordering::Release);
        let lease = pool.acquire(None).await.unwrap();
        assert_eq!(lease.instance().busy(), 1);
        drop(lease);
        assert_eq!(pool.instances[0].busy(), 0);
    }
}
