//! What the speaker says next, so that it never falls behind the hall.
//!
//! A pure queue of waiting announcements with the rules of a busy hall;
//! time is a parameter (a [`Duration`] since any fixed instant), so the
//! speaker thread runs it on its clock and `qcall bench --only-audio-load`
//! on a simulated one. It plays nothing and renders nothing.
//!
//! The rules:
//! - **The newest call for a subject wins.** An announcement carries the
//!   subject it is about (a ticket); a newer one for the same subject, or
//!   [`Planner::withdraw`] (the ticket was started, finished, went no-show),
//!   makes the older one stale, and a stale announcement is never said.
//! - **Nothing starts later than `max_lag` after its call**: what could
//!   only start later is skipped (and counted), so a hall never hears a
//!   call long after the display showed it.
//! - **Alone, an announcement is said in full** (every part, repeated), but
//!   each part after the first is said only while nothing else waits
//!   ([`Planner::may_continue`]): a call arriving mid-announcement drops the
//!   rest (the other locale, the repeat).
//! - **Under backlog, waiting calls are said once, briefly, merged**: the
//!   brief forms (first locale, no repeat) of up to `max_merge` calls in one
//!   sentence, between a shared head and tail (「请 A012 号到 3 号窗口，
//!   A013 号到 4 号窗口办理」).
//!
//! **Invariant**: every announcement pushed is, exactly once, either said
//! (in full, shortened or merged), skipped (stale or late) or lost (no
//! output), and the counts in [`Counts`] say which.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::PAUSE;

/// One thing to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// For logs and health, e.g. `A012 -> 3`.
    pub label: String,
    /// What it is about (a ticket id): a newer announcement for the same
    /// subject replaces this one. `None`: never replaced.
    pub subject: Option<u64>,
    /// The whole announcement in parts, said in order when nothing else
    /// waits (e.g. chime and Mandarin, then English); repeated by the style.
    /// Each part is a list of clip ids (see [`crate::render`]).
    pub parts: Vec<Vec<String>>,
    /// The short form said under backlog, mergeable with others' between
    /// the planner's head and tail (e.g. `A012 号 到 3 号窗口`).
    pub brief: Vec<String>,
}

impl Announcement {
    /// Every clip of the full form, parts joined with a phrase pause.
    pub fn clips(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                out.push(PAUSE.to_owned());
            }
            out.extend(part.iter().cloned());
        }
        out
    }
}

/// How the planner keeps up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// No announcement starts later than this after its call.
    pub max_lag: Duration,
    /// Calls merged into one sentence at most.
    pub max_merge: usize,
    /// Clips before merged briefs (e.g. the chime and 请).
    pub merge_head: Vec<String>,
    /// Clips after merged briefs (e.g. 办理).
    pub merge_tail: Vec<String>,
    /// Times a lone announcement is said (at least once).
    pub repeat: u32,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            max_lag: Duration::from_secs(10),
            max_merge: 4,
            merge_head: Vec::new(),
            merge_tail: Vec::new(),
            repeat: 1,
        }
    }
}

/// What happened to announcements so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Said in full: every part, every repeat.
    pub full: u64,
    /// Said once, cut short because others were waiting.
    pub shortened: u64,
    /// Said in their brief form inside a merged sentence.
    pub merged: u64,
    /// Not said: a newer call for the same subject came, or it was withdrawn.
    pub skipped_stale: u64,
    /// Not said: it could not start within `max_lag` of its call.
    pub skipped_late: u64,
    /// Not said: no output device, or it could not be rendered.
    pub lost: u64,
}

impl Counts {
    /// Calls said in any form.
    pub fn said(&self) -> u64 {
        self.full + self.shortened + self.merged
    }

    /// Calls not said because the plan said so (stale or late).
    pub fn skipped(&self) -> u64 {
        self.skipped_stale + self.skipped_late
    }
}

/// One waiting announcement.
#[derive(Debug, Clone)]
struct Waiting {
    announcement: Announcement,
    /// When it was called.
    at: Duration,
    /// Its number among its subject's announcements.
    generation: u64,
}

/// What to play now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// One announcement, alone: its parts in order, repeated; ask
    /// [`Planner::may_continue`] before each part after the first, and
    /// tell [`Planner::finished`] how far it went.
    Full {
        announcement: Announcement,
        /// When it was called.
        at: Duration,
        /// The parts to say, repeats included.
        parts: Vec<Vec<String>>,
    },
    /// Several waiting calls in one sentence, said once.
    Merged {
        /// Their labels, in call order.
        labels: Vec<String>,
        /// When each was called.
        at: Vec<Duration>,
        clips: Vec<String>,
    },
}

impl Plan {
    /// When the oldest call in it was made.
    pub fn called_at(&self) -> Duration {
        match self {
            Plan::Full { at, .. } => *at,
            Plan::Merged { at, .. } => at.iter().copied().min().unwrap_or_default(),
        }
    }

    /// For logs and health.
    pub fn label(&self) -> String {
        match self {
            Plan::Full { announcement, .. } => announcement.label.clone(),
            Plan::Merged { labels, .. } => labels.join(" + "),
        }
    }
}

/// The queue of waiting announcements and its rules.
#[derive(Debug)]
pub struct Planner {
    policy: Policy,
    queue: VecDeque<Waiting>,
    /// The newest generation of each subject still in the queue (or
    /// [`WITHDRAWN`]); an announcement of an older generation is stale.
    newest: HashMap<u64, u64>,
    next_generation: u64,
    counts: Counts,
}

/// No announcement has this generation: a withdrawn subject's mark.
const WITHDRAWN: u64 = u64::MAX;

impl Planner {
    pub fn new(policy: Policy) -> Planner {
        Planner {
            policy,
            queue: VecDeque::new(),
            newest: HashMap::new(),
            next_generation: 0,
            counts: Counts::default(),
        }
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Announcements waiting that would still be said now.
    pub fn waiting(&self) -> usize {
        self.queue.iter().filter(|w| self.is_current(w)).count()
    }

    /// Queues `announcement`, called at `at`, behind those waiting; it
    /// makes any waiting one for the same subject stale.
    pub fn push(&mut self, announcement: Announcement, at: Duration) {
        let generation = self.next_generation;
        self.next_generation += 1;
        if let Some(s) = announcement.subject {
            self.newest.insert(s, generation);
        }
        self.queue.push_back(Waiting {
            announcement,
            at,
            generation,
        });
    }

    /// The subject's waiting announcements are no longer to be said (the
    /// ticket was started, finished, went no-show or left).
    pub fn withdraw(&mut self, subject: u64) {
        if let Some(g) = self.newest.get_mut(&subject) {
            *g = WITHDRAWN;
        }
    }

    fn is_current(&self, w: &Waiting) -> bool {
        match w.announcement.subject {
            Some(s) => self.newest.get(&s) == Some(&w.generation),
            None => true,
        }
    }

    /// Drops stale announcements and those too late to start at `now`.
    fn prune(&mut self, now: Duration) {
        let mut kept = VecDeque::with_capacity(self.queue.len());
        for w in std::mem::take(&mut self.queue) {
            if !self.is_current(&w) {
                self.counts.skipped_stale += 1;
            } else if now.saturating_sub(w.at) > self.policy.max_lag {
                self.counts.skipped_late += 1;
            } else {
                kept.push_back(w);
            }
        }
        self.queue = kept;
        let queue = &self.queue;
        self.newest
            .retain(|s, _| queue.iter().any(|w| w.announcement.subject == Some(*s)));
    }

    /// What to play at `now`, if anything is waiting.
    pub fn next(&mut self, now: Duration) -> Option<Plan> {
        self.prune(now);
        match self.queue.len() {
            0 => None,
            1 => {
                let w = self.queue.pop_front()?;
                self.prune(now);
                let mut parts = Vec::new();
                for _ in 0..self.policy.repeat.max(1) {
                    parts.extend(w.announcement.parts.iter().cloned());
                }
                Some(Plan::Full {
                    announcement: w.announcement,
                    at: w.at,
                    parts,
                })
            }
            n => {
                let take = n.min(self.policy.max_merge.max(1));
                let group: Vec<Waiting> = self.queue.drain(..take).collect();
                self.prune(now);
                self.counts.merged += group.len() as u64;
                // Briefs follow one another with the word gap: each ends on
                // its counter, a natural break, and a pause per call would
                // cost the hall more than it is worth under backlog.
                let mut clips = self.policy.merge_head.clone();
                for w in &group {
                    clips.extend(w.announcement.brief.iter().cloned());
                }
                clips.extend(self.policy.merge_tail.iter().cloned());
                Some(Plan::Merged {
                    labels: group.iter().map(|w| w.announcement.label.clone()).collect(),
                    at: group.iter().map(|w| w.at).collect(),
                    clips,
                })
            }
        }
    }

    /// Whether a [`Plan::Full`] may go on to its next part at `now`: only
    /// while nothing else that would be said is waiting.
    pub fn may_continue(&mut self, now: Duration) -> bool {
        self.prune(now);
        self.queue.is_empty()
    }

    /// `plan` could not be played at all (no output, a render error).
    pub fn lost(&mut self, plan: &Plan) {
        let n = match plan {
            Plan::Full { .. } => 1,
            Plan::Merged { labels, .. } => {
                self.counts.merged -= labels.len() as u64;
                labels.len() as u64
            }
        };
        self.counts.lost += n;
    }

    /// A [`Plan::Full`] ended: `whole` when every part was said.
    pub fn finished(&mut self, whole: bool) {
        if whole {
            self.counts.full += 1;
        } else {
            self.counts.shortened += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// A call of ticket `subject` with two parts and a brief form.
    fn call(subject: u64) -> Announcement {
        Announcement {
            label: format!("T{subject}"),
            subject: Some(subject),
            parts: vec![
                vec!["chime".into(), format!("zh-{subject}")],
                vec![format!("en-{subject}")],
            ],
            brief: vec![format!("brief-{subject}")],
        }
    }

    fn policy() -> Policy {
        Policy {
            max_lag: s(10),
            max_merge: 3,
            merge_head: vec!["qing".into()],
            merge_tail: vec!["banli".into()],
            repeat: 2,
        }
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_lone_call_is_said_in_full_and_repeated() {
        let mut p = Planner::new(policy());
        p.push(call(1), s(0));
        let Some(Plan::Full { parts, at, .. }) = p.next(s(0)) else {
            panic!("a lone call is said in full")
        };
        assert_eq!(at, s(0));
        assert_eq!(
            parts,
            [
                ids(&["chime", "zh-1"]),
                ids(&["en-1"]),
                ids(&["chime", "zh-1"]),
                ids(&["en-1"])
            ]
        );
        assert!(p.may_continue(s(1)), "nothing else waits");
        p.finished(true);
        assert_eq!(p.next(s(2)), None);
        assert_eq!((p.counts().full, p.counts().said()), (1, 1));
    }

    #[test]
    fn a_call_finished_before_its_turn_is_not_said() {
        let mut p = Planner::new(policy());
        p.push(call(1), s(0));
        p.push(call(2), s(1));
        p.push(call(3), s(2));
        // Ticket 2's applicant walked up and the clerk started it.
        p.withdraw(2);
        let Some(Plan::Merged { labels, clips, .. }) = p.next(s(3)) else {
            panic!("two waiting calls are merged")
        };
        assert_eq!(labels, ["T1", "T3"]);
        assert!(!clips.contains(&"brief-2".to_owned()), "{clips:?}");
        assert_eq!(p.counts().skipped_stale, 1);
        // Alone and withdrawn: nothing at all.
        p.push(call(4), s(4));
        p.withdraw(4);
        assert_eq!(p.next(s(5)), None);
        assert_eq!(p.counts().skipped_stale, 2);
        // Withdrawing what is not waiting changes nothing.
        p.withdraw(99);
        p.push(call(99), s(6));
        assert!(matches!(p.next(s(6)), Some(Plan::Full { .. })));
    }

    #[test]
    fn the_newest_call_for_a_ticket_wins() {
        let mut p = Planner::new(policy());
        p.push(call(1), s(0));
        p.push(call(2), s(0));
        // Ticket 1 recalled before its first call was said.
        let mut recall = call(1);
        recall.label = "T1 (recall)".into();
        p.push(recall, s(1));
        let Some(Plan::Merged { labels, .. }) = p.next(s(2)) else {
            panic!("merged")
        };
        assert_eq!(
            labels,
            ["T2", "T1 (recall)"],
            "the first call of T1 is stale"
        );
        assert_eq!(p.counts().skipped_stale, 1);
    }

    #[test]
    fn under_backlog_the_repeat_and_the_second_locale_are_dropped() {
        let mut p = Planner::new(policy());
        p.push(call(1), s(0));
        let Some(Plan::Full { parts, .. }) = p.next(s(0)) else {
            panic!()
        };
        assert_eq!(parts.len(), 4);
        // While the first part plays, another call comes: the rest of the
        // first (English, the repeat) is not said.
        p.push(call(2), s(2));
        assert!(!p.may_continue(s(3)));
        p.finished(false);
        // Three waiting: said once each, first locale's brief only, merged.
        p.push(call(3), s(3));
        p.push(call(4), s(3));
        let Some(Plan::Merged { clips, labels, at }) = p.next(s(4)) else {
            panic!()
        };
        assert_eq!(labels, ["T2", "T3", "T4"]);
        assert_eq!(at, [s(2), s(3), s(3)]);
        assert_eq!(
            clips,
            ids(&["qing", "brief-2", "brief-3", "brief-4", "banli"]),
            "once, no English, no repeat"
        );
        let c = p.counts();
        assert_eq!((c.full, c.shortened, c.merged, c.skipped()), (0, 1, 3, 0));
    }

    #[test]
    fn merging_takes_at_most_max_merge_and_keeps_call_order() {
        let mut p = Planner::new(policy());
        for i in 1..=5 {
            p.push(call(i), s(0));
        }
        let first = p.next(s(1)).unwrap();
        assert_eq!(first.label(), "T1 + T2 + T3");
        let second = p.next(s(2)).unwrap();
        assert_eq!(second.label(), "T4 + T5");
        assert_eq!(p.next(s(3)), None);
    }

    #[test]
    fn nothing_starts_more_than_max_lag_after_its_call() {
        let mut p = Planner::new(policy());
        p.push(call(1), s(0));
        p.push(call(2), s(5));
        // At 12 s call 1 (12 s old) is too late; call 2 (7 s) is not.
        let Some(plan) = p.next(s(12)) else { panic!() };
        assert_eq!(plan.label(), "T2");
        assert_eq!(plan.called_at(), s(5));
        assert_eq!(p.counts().skipped_late, 1);
        // Exactly max_lag old still starts.
        p.push(call(3), s(20));
        assert!(p.next(s(30)).is_some());
    }

    #[test]
    fn every_pushed_call_is_said_or_skipped_exactly_once() {
        // A deterministic storm: pushes, withdrawals, recalls and plays.
        let mut p = Planner::new(policy());
        let mut now = 0u64;
        let mut pushed = 0u64;
        let mut state = 12345u64;
        let mut rand = |n: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            (state >> 33) % n
        };
        for _ in 0..2000 {
            match rand(6) {
                0..=2 => {
                    p.push(call(rand(20)), s(now));
                    pushed += 1;
                }
                3 => p.withdraw(rand(20)),
                4 => match p.next(s(now)) {
                    Some(Plan::Full { .. }) => {
                        let whole = p.may_continue(s(now + 1));
                        p.finished(whole);
                    }
                    Some(plan) if rand(4) == 0 => p.lost(&plan),
                    _ => {}
                },
                _ => {
                    if let Some(plan) = p.next(s(now)) {
                        p.lost(&plan);
                    }
                }
            }
            now += rand(3);
        }
        while let Some(plan) = p.next(s(now)) {
            if let Plan::Full { .. } = plan {
                p.finished(true);
            }
        }
        let c = p.counts();
        assert_eq!(c.said() + c.skipped() + c.lost, pushed, "{c:?}");
        assert!(
            c.merged > 0 && c.skipped_stale > 0 && c.full > 0 && c.lost > 0,
            "{c:?}"
        );
    }
}
