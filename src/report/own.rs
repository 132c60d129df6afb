//! What our own posts earn, as Avinash Kaushik measures social media: per post, the
//! conversation rate (replies), the amplification rate (reposts) and the applause rate (likes);
//! per account and span, each averaged over the posts; and each per 1,000 followers, so that a
//! small account's posts compare with a large one's. Quotes count as amplification.

use crate::store::OwnPostRow;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One post of ours with its rates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostRates {
    pub account: String,
    pub post_id: String,
    pub url: Option<String>,
    pub published_at: DateTime<Utc>,
    /// A reply of ours (to a customer, often) rather than a post of its own.
    pub is_reply: bool,
    pub replies: i64,
    pub reposts: i64,
    pub likes: i64,
    pub quotes: i64,
    pub followers: Option<i64>,
    /// Replies to it (one post: its replies).
    pub conversation_rate: f64,
    /// Reposts and quotes of it.
    pub amplification_rate: f64,
    /// Likes of it.
    pub applause_rate: f64,
    /// The same, per 1,000 followers of the account when they were read.
    pub conversation_per_1k: Option<f64>,
    pub amplification_per_1k: Option<f64>,
    pub applause_per_1k: Option<f64>,
    /// The first line of what we said.
    pub text: String,
}

/// An account's posts over a span, averaged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountRates {
    pub account: String,
    pub kind: String,
    /// Posts of its own, and replies (to customers, often).
    pub posts: i64,
    pub replies_sent: i64,
    pub followers: Option<i64>,
    /// Per post (replies included: what our answers earn counts too).
    pub conversation_rate: f64,
    pub amplification_rate: f64,
    pub applause_rate: f64,
    pub conversation_per_1k: Option<f64>,
    pub amplification_per_1k: Option<f64>,
    pub applause_per_1k: Option<f64>,
    /// What our replies alone earned, per reply (likes and replies to them).
    pub applause_per_reply: Option<f64>,
    pub conversation_per_reply: Option<f64>,
}

fn per_1k(v: f64, followers: Option<i64>) -> Option<f64> {
    followers.filter(|f| *f > 0).map(|f| v / f as f64 * 1000.0)
}

/// Each post's rates.
pub fn posts(rows: &[OwnPostRow]) -> Vec<PostRates> {
    rows.iter()
        .map(|p| {
            let (c, a, l) = (p.replies as f64, (p.reposts + p.quotes) as f64, p.likes as f64);
            PostRates {
                account: p.account.clone(),
                post_id: p.post_id.clone(),
                url: p.url.clone(),
                published_at: p.published_at,
                is_reply: p.is_reply,
                replies: p.replies,
                reposts: p.reposts,
                likes: p.likes,
                quotes: p.quotes,
                followers: p.followers,
                conversation_rate: c,
                amplification_rate: a,
                applause_rate: l,
                conversation_per_1k: per_1k(c, p.followers),
                amplification_per_1k: per_1k(a, p.followers),
                applause_per_1k: per_1k(l, p.followers),
                text: crate::text::sanitize_line(p.text.lines().next().unwrap_or_default()),
            }
        })
        .collect()
}

/// The `n` posts that earned the most (replies, reposts, quotes and likes summed).
pub fn top(rows: &[OwnPostRow], n: usize) -> Vec<PostRates> {
    let mut all = posts(rows);
    all.sort_by_key(|p| std::cmp::Reverse(p.replies + p.reposts + p.quotes + p.likes));
    all.truncate(n);
    all
}

/// Each account's rates over the posts given (in the order accounts first appear).
pub fn accounts(rows: &[OwnPostRow]) -> Vec<AccountRates> {
    let mut names: Vec<&str> = Vec::new();
    for p in rows {
        if !names.contains(&p.account.as_str()) {
            names.push(&p.account);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let mine: Vec<&OwnPostRow> = rows.iter().filter(|p| p.account == name).collect();
            let n = mine.len().max(1) as f64;
            let sum = |f: &dyn Fn(&OwnPostRow) -> i64| mine.iter().map(|p| f(p)).sum::<i64>() as f64;
            let (c, a, l) = (
                sum(&|p| p.replies) / n,
                sum(&|p| p.reposts + p.quotes) / n,
                sum(&|p| p.likes) / n,
            );
            // The latest followers read.
            let followers = mine.iter().rev().find_map(|p| p.followers);
            let replies: Vec<&&OwnPostRow> = mine.iter().filter(|p| p.is_reply).collect();
            let per_reply = |f: &dyn Fn(&OwnPostRow) -> i64| {
                (!replies.is_empty()).then(|| replies.iter().map(|p| f(p)).sum::<i64>() as f64 / replies.len() as f64)
            };
            AccountRates {
                account: name.to_string(),
                kind: mine[0].kind.clone(),
                posts: mine.len() as i64 - replies.len() as i64,
                replies_sent: replies.len() as i64,
                followers,
                conversation_rate: c,
                amplification_rate: a,
                applause_rate: l,
                conversation_per_1k: per_1k(c, followers),
                amplification_per_1k: per_1k(a, followers),
                applause_per_1k: per_1k(l, followers),
                applause_per_reply: per_reply(&|p| p.likes),
                conversation_per_reply: per_reply(&|p| p.replies),
            }
        })
        .collect()
}

/// The engagement our posts earned by weekday × hour of posting (replies, reposts, quotes and
/// likes summed, averaged per post): when our posts do best.
pub fn best_time(rows: &[OwnPostRow], tz: &chrono_tz::Tz) -> [[Option<f64>; 24]; 7] {
    use chrono::{Datelike, Timelike};
    let mut sums = [[(0i64, 0i64); 24]; 7];
    for p in rows {
        let local = p.published_at.with_timezone(tz);
        let (d, h) = (local.weekday().num_days_from_monday() as usize, local.hour() as usize);
        sums[d][h].0 += p.replies + p.reposts + p.quotes + p.likes;
        sums[d][h].1 += 1;
    }
    sums.map(|row| row.map(|(e, n)| (n > 0).then(|| e as f64 / n as f64)))
}
