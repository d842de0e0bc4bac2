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

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::sync::Mutex;
use tracing::{debug, info, warn};

use super::api::ComfyClient;
use super::check::Catalog;
use super::error::ComfyError;

/// How often the background task probes every instance.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(5);
/// How often a job waiting for a healthy instance probes again.
pub const WAIT_PROBE_INTERVAL: Duration = Duration::from_millis(250);

/// One ComfyUI.
#[derive(Debug)]
pub struct Instance {
    client: ComfyClient,
    busy: AtomicUsize,
    healthy: AtomicBool,
    /// What its `/object_info` said, for the classes asked so far; a tokio mutex because
    /// filling it awaits HTTP.
    catalog: Mutex<Catalog>,
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

    async fn probe(&self) -> bool {
        let ok = self.client.system_stats().await.is_ok();
        let was = self.healthy.swap(ok, Ordering::AcqRel);
        if ok != was {
            if ok {
                info!(url = self.url(), "ComfyUI is up");
            } else {
                warn!(url = self.url(), "ComfyUI is down");
            }
            // A restarted ComfyUI may have other models; ask again.
            self.catalog.lock().await.clone_from(&Catalog::default());
        }
        ok
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
        let healthy = || self.instances.iter().filter(|i| i.is_healthy());
        let pick = |it: &mut dyn Iterator<Item = &Arc<Instance>>| it.min_by_key(|i| i.busy()).cloned();
        pick(&mut healthy().filter(|i| Some(i.url()) != avoid)).or_else(|| pick(&mut healthy()))
    }

    /// A lease on the least busy healthy instance, waiting (and probing) up to the wait limit
    /// while none is healthy.
    pub async fn acquire(&self, avoid: Option<&str>) -> Result<Lease, ComfyError> {
        let started = Instant::now();
        loop {
            if let Some(instance) = self.least_busy(avoid) {
                instance.busy.fetch_add(1, Ordering::AcqRel);
                debug!(url = instance.url(), busy = instance.busy(), "instance leased");
                return Ok(Lease { instance });
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
