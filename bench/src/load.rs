//! Bounded load from this process: a fixed number of workers, each sending one request after
//! another over its own keep-alive connection, for a fixed time.

use anyhow::{Context, Result, bail};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What one bounded run measured.
#[derive(Debug, Clone)]
pub struct Run {
    pub requests: usize,
    pub elapsed: Duration,
    /// Per request, in milliseconds.
    pub latencies_ms: Vec<f64>,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs `send` from `concurrency` workers until `duration` has passed; every request must
/// succeed (`send` fails otherwise), so that an error page is never counted as throughput.
pub async fn for_duration<F, Fut>(concurrency: usize, duration: Duration, send: F) -> Result<Run>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let send = send.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    send().await?;
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    gather(started, workers).await
}

/// Runs `send(i)` for every `i` in `0..count` from `concurrency` workers, then stops.
pub async fn for_count<F, Fut>(concurrency: usize, count: usize, send: F) -> Result<Run>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let send = send.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count {
                        break;
                    }
                    let sent = Instant::now();
                    send(index).await?;
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    gather(started, workers).await
}

async fn gather(
    started: Instant,
    workers: Vec<tokio::task::JoinHandle<Result<Vec<f64>>>>,
) -> Result<Run> {
    let mut latencies_ms = Vec::new();
    for worker in workers {
        latencies_ms.extend(worker.await.context("a load worker panicked")??);
    }
    let elapsed = started.elapsed();
    if latencies_ms.is_empty() {
        bail!("no request finished");
    }
    Ok(Run {
        requests: latencies_ms.len(),
        elapsed,
        latencies_ms,
    })
}

/// Sends `request` and reads the whole answer; anything but `expected` is an error.
pub async fn expect_status(
    request: reqwest::RequestBuilder,
    expected: reqwest::StatusCode,
) -> Result<reqwest::Response> {
    let response = request.send().await?;
    if response.status() != expected {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        bail!("expected {expected}, got {status}: {body}");
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn count_runs_each_index_once() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let recorder = seen.clone();
        let run = for_count(3, 20, move |index| {
            let recorder = recorder.clone();
            async move {
                recorder
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .push(index);
                Ok(())
            }
        })
        .await
        .expect("run");
        assert_eq!(run.requests, 20);
        let mut seen = seen.lock().expect("lock").clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..20).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_failed_request_fails_the_run() {
        let error = for_count(2, 5, |index| async move {
            if index == 3 {
                bail!("request {index} refused")
            } else {
                Ok(())
            }
        })
        .await
        .expect_err("one request failed");
        assert!(error.to_string().contains("request 3 refused"), "{error}");
    }

    #[tokio::test]
    async fn duration_bounds_the_run() {
        let run = for_duration(2, Duration::from_millis(50), || async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Ok(())
        })
        .await
        .expect("run");
        assert!(run.requests >= 2, "{run:?}");
        assert!(run.elapsed >= Duration::from_millis(50), "{run:?}");
        assert!(run.elapsed < Duration::from_secs(5), "{run:?}");
        assert!(run.latencies_ms.iter().all(|&ms| ms >= 5.0), "{run:?}");
    }
}
