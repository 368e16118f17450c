//! The device's store on a thread of its own. Every write is fsynced before it returns
//! (`synchronous=FULL`), which on an SD card takes milliseconds: done on a tokio worker it
//! would stall every task sharing that worker (the terminal's timers, the POS link). Here
//! the jobs run one after another on the store thread, in the order they were sent, and an
//! async caller awaits its answer without holding a worker.

use kiosk_store::Store;

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// Cheap to clone; the store thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct StoreHandle {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl StoreHandle {
    /// Moves `store` onto a new thread.
    pub fn spawn(store: Store) -> StoreHandle {
        let (jobs, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("store".into())
            .spawn(move || {
                let mut store = store;
                for job in rx {
                    job(&mut store);
                }
            })
            .expect("starting the store thread");
        StoreHandle { jobs }
    }

    fn send<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> R + Send + 'static,
    ) -> tokio::sync::oneshot::Receiver<R> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |store| {
            let _ = tx.send(f(store));
        });
        self.jobs.send(job).expect("the store thread runs while a handle exists");
        rx
    }

    /// Runs `f` on the store thread; the caller's worker is free meanwhile.
    pub async fn run<R: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> R + Send + 'static) -> R {
        self.send(f).await.expect("the store thread answers every job")
    }

    /// The same from a thread that is not a tokio worker (the UI thread, start-up, tests):
    /// blocks until the store thread has done it.
    pub fn run_blocking<R: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> R + Send + 'static) -> R {
        self.send(f).blocking_recv().expect("the store thread answers every job")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn jobs_run_in_order_off_the_async_worker() {
        let store = StoreHandle::spawn(Store::open_in_memory().unwrap());
        let caller = std::thread::current().id();
        let (first, second) = tokio::join!(
            store.run(move |_| std::thread::current().id()),
            store.run(|s| s.device_settings().map(|v| v.len()).unwrap_or(99))
        );
        assert_ne!(first, caller, "the job ran on the store thread");
        assert_eq!(second, 0);
        let name = store.run(|_| std::thread::current().name().map(str::to_owned)).await;
        assert_eq!(name.as_deref(), Some("store"));
    }
}
