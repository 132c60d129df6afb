//! Likely noise among new mentions, seen beside the others (`score::noise`): the same words from
//! several authors, an author's burst. Flagged once per write, over the new rows, in the write's
//! transaction (the rules that act on arrival read the flags).

use super::db::{self, Db, params};
use crate::score::noise::{BURST_MENTIONS, DUPLICATE_AUTHORS, DUPLICATE_WINDOW_SECS, Noise};

/// Flag the mentions after `newest_before` (and the earlier ones they copy or burst with).
pub(super) fn flag(db: Db<'_>, newest_before: i64, now: i64) -> db::Result<()> {
    // The same words from DUPLICATE_AUTHORS authors or more within the window: all of them.
    // Words said DUPLICATE_AUTHORS times first (a plain count), then by as many authors (a
    // distinct count, for those few only).
    db.execute(
        "UPDATE mentions SET noise = noise | ?3
         WHERE text_hash IN (
             SELECT many.text_hash FROM (
                 SELECT h.text_hash FROM mentions h INDEXED BY mentions_text
                 WHERE h.text_hash IN (SELECT text_hash FROM mentions WHERE id > ?1 AND text_hash IS NOT NULL)
                   AND h.sort_at >= ?2
                 GROUP BY h.text_hash HAVING count(*) >= ?4) many
             WHERE (SELECT count(DISTINCT coalesce(x.author_id, -x.id)) FROM mentions x INDEXED BY mentions_text
                    WHERE x.text_hash = many.text_hash AND x.sort_at >= ?2) >= ?4)
           AND sort_at >= ?2 AND noise & ?3 = 0",
        params![
            newest_before,
            now - DUPLICATE_WINDOW_SECS,
            Noise::Duplicate.bit(),
            DUPLICATE_AUTHORS
        ],
    )?;
    // An author with BURST_MENTIONS mentions or more in the last hour, ten times their usual
    // hourly rate (or in their first day): that hour's mentions.
    db.execute(
        "UPDATE mentions SET noise = noise | ?3
         WHERE author_id IN (
             SELECT r.author_id FROM (
                 SELECT m.author_id, count(*) AS n FROM mentions m INDEXED BY mentions_author
                 WHERE m.author_id IN (SELECT author_id FROM mentions WHERE id > ?1 AND author_id IS NOT NULL)
                   AND m.sort_at >= ?2
                 GROUP BY m.author_id HAVING count(*) >= ?4) r
             JOIN authors a ON a.id = r.author_id JOIN people p ON p.id = a.person_id
             WHERE p.last_seen_at - p.first_seen_at < 86400
                OR r.n * ((p.last_seen_at - p.first_seen_at) / 3600.0) >= 10 * p.mentions)
           AND sort_at >= ?2 AND noise & ?3 = 0",
        params![newest_before, now - 3600, Noise::Burst.bit(), BURST_MENTIONS],
    )?;
    Ok(())
}

/// The copies among the mentions stored before noise was looked for (migration 24): the same
/// words from DUPLICATE_AUTHORS authors or more, at any time (bursts are not looked for in the
/// past).
pub(super) fn flag_history(db: Db<'_>) -> db::Result<()> {
    db.execute(
        "UPDATE mentions SET noise = noise | ?1
         WHERE text_hash IN (
             SELECT text_hash FROM mentions INDEXED BY mentions_text WHERE text_hash IS NOT NULL
             GROUP BY text_hash HAVING count(DISTINCT coalesce(author_id, -id)) >= ?2)",
        params![Noise::Duplicate.bit(), DUPLICATE_AUTHORS],
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use crate::model::{FeedKind, NewMention};
    use crate::query::StreamFilter;
    use crate::store::{PollWrite, Scope, Store};
    use chrono::{Duration, Utc};

    fn said(id: &str, author: &str, text: &str, mins: i64) -> NewMention {
        NewMention {
            external_id: Some(id.into()),
            author: Some(author.into()),
            text: text.into(),
            published_at: Some(Utc::now() - Duration::minutes(mins)),
            ..Default::default()
        }
    }

    fn poll(s: &mut Store, mentions: Vec<NewMention>) {
        let feed = s.ensure_feed("x", FeedKind::X).unwrap();
        let now = Utc::now();
        let w = PollWrite {
            mentions,
            status: 200,
            next_poll_at: now,
            ..Default::default()
        };
        s.write_poll(feed, FeedKind::X, &w, now).unwrap();
    }

    fn ids(s: &Store, q: &str) -> Vec<String> {
        let f = StreamFilter::parse(q, Utc::now()).unwrap();
        let mut v: Vec<String> = s
            .stream_after(
                Scope {
                    operator: "alice",
                    filter: &f,
                },
                None,
                100,
            )
            .unwrap()
            .into_iter()
            .map(|m| m.external_id)
            .collect();
        v.sort();
        v
    }

    #[test]
    fn copies_bursts_and_bare_links_are_flagged_and_filtered() {
        for (_d, mut s) in crate::store::each_backend() {
            let copy = "WIN a free Acme phone today, just retweet and follow https://spam.example/";
            // Two authors say it: not yet a pattern.
            poll(
                &mut s,
                vec![
                    said("c1", "bot1", copy, 50),
                    said("c2", "bot2", &format!("{copy}a"), 40),
                ],
            );
            assert!(ids(&s, "is:noise").is_empty());
            // A third, later: all three are flagged, the earlier ones too.
            poll(
                &mut s,
                vec![
                    said("c3", "bot3", &format!("{copy}b"), 30),
                    said("l1", "linker", "https://spam.example/x", 30),
                    said(
                        "ok",
                        "jane",
                        "Acme support fixed my sync issue in ten minutes, thank you",
                        20,
                    ),
                ],
            );
            assert_eq!(ids(&s, "noise:duplicate"), ["c1", "c2", "c3"]);
            assert_eq!(ids(&s, "noise:link-only"), ["l1"]);
            // A new account posting six times in an hour.
            poll(
                &mut s,
                (0..6)
                    .map(|i| {
                        said(
                            &format!("b{i}"),
                            "hyper",
                            &format!("Acme deal number {i} is live"),
                            50 - i,
                        )
                    })
                    .collect(),
            );
            assert_eq!(ids(&s, "noise:burst"), ["b0", "b1", "b2", "b3", "b4", "b5"]);
            assert_eq!(ids(&s, "-is:noise"), ["ok"]);
            assert_eq!(ids(&s, "is:noise").len(), 10);
        }
    }
}
