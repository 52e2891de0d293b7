//! Matching off the async runtime: one thread of its own answers questions in turn.
//! Matching is CPU work (about 15 µs for a typical question, up to a millisecond for a
//! 4,096-character message); on the runtime's worker threads it would hold up every
//! other chat, polling and the outbox meanwhile. One thread, not tokio's blocking pool:
//! the pool grows a thread (and a malloc arena) per concurrent question, and a flood of
//! long messages would then take every core; here they queue.

use super::{Matcher, Outcome};
use crate::lang::Lang;
use std::sync::Arc;
use std::sync::mpsc;

struct Job {
    matcher: Arc<Matcher>,
    question: String,
    lang: Lang,
    reply: tokio::sync::oneshot::Sender<Outcome>,
}

/// A handle to the matching thread; the thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct Worker {
    jobs: mpsc::Sender<Job>,
}

impl Worker {
    pub fn start() -> Worker {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("eudesk-match".into())
            .spawn(move || {
                for job in queue {
                    // A panic in matching loses this answer (the caller sees an error),
                    // not the thread.
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        job.matcher.find(&job.question, job.lang)
                    }));
                    if let Ok(outcome) = outcome {
                        let _ = job.reply.send(outcome);
                    }
                }
            })
            .expect("the matching thread starts");
        Worker { jobs }
    }

    /// How `matcher` understands `question`; `None` if matching failed.
    pub async fn find(&self, matcher: Arc<Matcher>, question: &str, lang: Lang) -> Option<Outcome> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job {
            matcher,
            question: question.to_owned(),
            lang,
            reply,
        };
        self.jobs.send(job).ok()?;
        answer.await.ok()
    }
}
