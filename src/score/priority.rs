//! Which mention to answer first: a base priority from 0 to 100, from the author's reach, the
//! engagement, how negative it is and what its author wants, that halves every `half_life` as it
//! ages. Always with its reasons.
//!
//! ```text
//! base = min(100, reach      · min(1, log10(1 + followers) / 6)
//!               + engagement · min(1, log10(1 + likes + 2·reposts + 2·replies + 2·quotes + score) / 4)
//!               + negative   · max(0, -sentiment)
//!               + complaint · cancel · question · purchase   (each, when the mention has it)
//!               + vip · detractor                            (each, when operators tagged its author so))
//! now  = base · 2^(-age / half_life)
//! ```
//!
//! Decay never re-sorts the history: `now` orders mentions as `rank = log2(base) + t / half_life`
//! does (t the mention's time), and `rank` does not change as time passes, so it is stored and
//! indexed.

use super::{Intent, Intents};
use crate::model::Engagement;
use serde::Deserialize;

/// The weights of the formula (`[priority]` in the config).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    pub reach: f64,
    pub engagement: f64,
    pub negative: f64,
    pub complaint: f64,
    pub cancel: f64,
    pub question: f64,
    pub purchase: f64,
    /// An author operators tagged `vip`.
    pub vip: f64,
    /// An author operators tagged `detractor`.
    pub detractor: f64,
}

impl Default for Weights {
    fn default() -> Weights {
        Weights {
            reach: 25.0,
            engagement: 15.0,
            negative: 20.0,
            complaint: 15.0,
            cancel: 20.0,
            question: 10.0,
            purchase: 10.0,
            vip: 20.0,
            detractor: 15.0,
        }
    }
}

/// The half-life of a priority: a day-old mention weighs half a new one.
pub const HALF_LIFE_SECS: f64 = 86_400.0;

/// A mention's base priority, with what made it, largest part first.
#[derive(Debug, Clone, PartialEq)]
pub struct Priority {
    pub base: f64,
    pub reasons: Vec<String>,
}

/// What the formula reads of a mention.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub reach: Option<i64>,
    pub engagement: &'a Engagement,
    pub sentiment: f64,
    pub intents: Intents,
    /// What operators said of its author.
    pub person: Marks,
}

/// The person tags that weigh in a priority.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marks {
    pub vip: bool,
    pub detractor: bool,
}

impl Marks {
    /// The marks among a person's tags.
    pub fn of<S: AsRef<str>>(tags: &[S]) -> Marks {
        let has = |t: &str| tags.iter().any(|x| x.as_ref() == t);
        Marks {
            vip: has("vip"),
            detractor: has("detractor"),
        }
    }

    pub fn any(self) -> bool {
        self.vip || self.detractor
    }
}

impl Weights {
    pub fn priority(&self, m: Inputs<'_>) -> Priority {
        let mut parts: Vec<(f64, String)> = Vec::new();
        if let Some(r) = m.reach.filter(|r| *r > 0) {
            parts.push((
                self.reach * (((1 + r) as f64).log10() / 6.0).min(1.0),
                format!("reach {}", short(r)),
            ));
        }
        let e = m.engagement;
        let n = |v: Option<i64>| v.unwrap_or(0).max(0);
        let acts = n(e.likes) + 2 * (n(e.reposts) + n(e.replies) + n(e.quotes)) + n(e.score);
        if acts > 0 {
            parts.push((
                self.engagement * (((1 + acts) as f64).log10() / 4.0).min(1.0),
                format!("{} engagement{}", short(acts), if acts == 1 { "" } else { "s" }),
            ));
        }
        if m.sentiment <= -super::sentiment::THRESHOLD {
            parts.push((self.negative * -m.sentiment.max(-1.0), "negative".into()));
        }
        for (intent, w) in [
            (Intent::Cancel, self.cancel),
            (Intent::Complaint, self.complaint),
            (Intent::Question, self.question),
            (Intent::Purchase, self.purchase),
        ] {
            if m.intents.has(intent) {
                parts.push((w, intent.to_string()));
            }
        }
        if m.person.vip {
            parts.push((self.vip, "VIP".into()));
        }
        if m.person.detractor {
            parts.push((self.detractor, "known detractor".into()));
        }
        parts.sort_by(|a, b| b.0.total_cmp(&a.0));
        let base = parts.iter().map(|p| p.0).sum::<f64>().clamp(0.0, 100.0);
        Priority {
            base,
            reasons: parts.into_iter().filter(|p| p.0 > 0.0).map(|p| p.1).collect(),
        }
    }
}

impl Weights {
    /// A base priority worked out without its author's marks, with them.
    pub fn with_person(&self, base: f64, person: Marks) -> f64 {
        let bonus = if person.vip { self.vip } else { 0.0 } + if person.detractor { self.detractor } else { 0.0 };
        (base + bonus).min(100.0)
    }
}

/// The stored rank of a base priority at time `t` (seconds): orders as the decayed priority
/// does at any moment. An integer (millionths) so it keys the stream's pages as a time does.
pub fn rank(base: f64, t: i64) -> i64 {
    ((base.max(0.5).log2() + t as f64 / HALF_LIFE_SECS) * RANK_SCALE).round() as i64
}

/// The rank's unit: millionths.
pub const RANK_SCALE: f64 = 1e6;

/// The priority now of a base priority `age_secs` old.
pub fn decayed(base: f64, age_secs: i64) -> f64 {
    base * (-(age_secs.max(0) as f64) / HALF_LIFE_SECS).exp2()
}

/// 950, 12k, 1.2M.
pub fn short(n: i64) -> String {
    match n {
        n if n >= 1_000_000 => format!("{:.1}M", n as f64 / 1e6),
        n if n >= 10_000 => format!("{}k", n / 1000),
        n if n >= 1_000 => format!("{:.1}k", n as f64 / 1e3),
        n => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(reach: i64, likes: i64, sentiment: f64, intents: &[Intent]) -> Priority {
        let e = Engagement {
            likes: Some(likes),
            ..Default::default()
        };
        let intents = intents.iter().fold(Intents::default(), |a, i| a.with(*i));
        Weights::default().priority(Inputs {
            reach: Some(reach),
            engagement: &e,
            sentiment,
            intents,
            person: Marks::default(),
        })
    }

    #[test]
    fn a_loud_complaint_from_a_large_account_outranks_praise_from_a_small_one() {
        let complaint = p(120_000, 40, -0.7, &[Intent::Complaint, Intent::Cancel]);
        let praise = p(150, 3, 0.8, &[Intent::Praise]);
        assert!(complaint.base > praise.base, "{complaint:?} {praise:?}");
        assert_eq!(complaint.reasons[0], "reach 120k");
        assert!(complaint.reasons.contains(&"negative".to_string()));
        assert!(complaint.reasons.contains(&"cancel".to_string()));
        assert!(complaint.base <= 100.0);
    }

    #[test]
    fn age_decays_it_and_the_rank_orders_as_the_decay_does() {
        let loud = p(120_000, 40, -0.7, &[Intent::Complaint]).base;
        let quiet = p(300, 0, -0.2, &[Intent::Question]).base;
        // The loud one is two days older: now it weighs a quarter.
        let now = 1_800_000_000;
        let (t_loud, t_quiet) = (now - 2 * 86_400, now);
        assert!((decayed(loud, 2 * 86_400) - loud / 4.0).abs() < 1e-9);
        let order_now = decayed(loud, now - t_loud) > decayed(quiet, now - t_quiet);
        let order_rank = rank(loud, t_loud) > rank(quiet, t_quiet);
        assert_eq!(order_now, order_rank);
        // The same order a week later: the rank never needs re-sorting.
        let later = now + 7 * 86_400;
        assert_eq!(
            decayed(loud, later - t_loud) > decayed(quiet, later - t_quiet),
            order_rank
        );
    }

    #[test]
    fn a_vip_or_a_known_detractor_weighs_more_and_says_so() {
        let e = Engagement::default();
        let base = |person| {
            Weights::default().priority(Inputs {
                reach: Some(500),
                engagement: &e,
                sentiment: -0.4,
                intents: Intents::default().with(Intent::Question),
                person,
            })
        };
        let plain = base(Marks::default());
        let vip = base(Marks::of(&["vip"]));
        let detractor = base(Marks::of(&["detractor", "customer"]));
        assert_eq!(vip.base, plain.base + 20.0);
        assert_eq!(detractor.base, plain.base + 15.0);
        assert!(vip.reasons.contains(&"VIP".to_string()), "{vip:?}");
        assert!(detractor.reasons.contains(&"known detractor".to_string()));
        assert!(!plain.reasons.iter().any(|r| r == "VIP"));
    }

    #[test]
    fn nothing_known_is_zero() {
        let e = Engagement::default();
        let p = Weights::default().priority(Inputs {
            reach: None,
            engagement: &e,
            sentiment: 0.0,
            intents: Intents::default(),
            person: Marks::default(),
        });
        assert_eq!(p.base, 0.0);
        assert!(p.reasons.is_empty());
    }
}
