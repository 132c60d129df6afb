//! `overhear thread ID`: the thread around a mention, asked of its source (as the console's detail
//! does when it opens the mention), kept in the store and printed.

use super::{Cli, load_config, open_store, runtime};
use crate::model::{Relation, Thread};
use anyhow::{Context, Result, bail};
use chrono::Utc;
use std::process::ExitCode;

/// Fetch (unless `cached`) and print the thread around mention `id`.
pub fn thread(cli: &Cli, id: i64, cached: bool) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let mut store = open_store(cli)?;
    let of = store
        .thread_of(id)?
        .with_context(|| format!("no mention with id {id}"))?;
    if !crate::sources::thread::tells_threads(of.kind) {
        bail!(
            "mention {id} comes from a {} feed, whose source shows no threads (Mastodon, Bluesky, Hacker News, Reddit, Discourse, GitHub, Lemmy and YouTube do)",
            of.kind
        );
    }
    let mut failed = false;
    if !cached {
        let feed = config
            .feeds
            .iter()
            .find(|f| f.name == of.feed)
            .with_context(|| format!("mention {id}'s feed `{}` is no longer in the config", of.feed))?;
        let client = crate::net::Client::new(&config.poller.net)?;
        let got = runtime()?.block_on(crate::poller::thread::fetch_thread(&client, feed, &of));
        match got {
            Ok(Some(posts)) => store.save_thread(id, &posts, Utc::now())?,
            Ok(None) => println!("its source has no thread for mention {id}"),
            Err(e) => {
                let e = crate::text::sanitize_line(&e.to_string());
                store.save_thread_error(id, &e, Utc::now())?;
                eprintln!("overhear: the thread of mention {id} was not fetched: {e}");
                failed = true;
            }
        }
    }
    match store.thread(id)? {
        Some(t) => print(&t),
        None if cached => println!("no thread kept for mention {id}: `overhear thread {id}` fetches it"),
        None => {}
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn print(t: &Thread) {
    let now = Utc::now();
    let line = |s: &str| crate::text::sanitize_line(s);
    let mut shown_this = false;
    for p in &t.posts {
        if p.relation == Relation::Below && !shown_this {
            println!("▸ this mention");
            shown_this = true;
        }
        let pad = "  ".repeat(p.depth.min(8) as usize);
        let when = p
            .published_at
            .map(|at| format!(" · {}", crate::timefmt::age(now, at)))
            .unwrap_or_default();
        let link = p.url.as_deref().map(|u| format!(" · {}", line(u))).unwrap_or_default();
        println!("{pad}{}{when}{link}", line(p.author.as_deref().unwrap_or("someone")));
        if let Some(title) = &p.title {
            println!("{pad}│ {}", line(title));
        }
        for l in crate::text::sanitize(&p.text).lines().filter(|l| !l.trim().is_empty()) {
            println!("{pad}│ {l}");
        }
    }
    if !shown_this {
        println!("▸ this mention (no replies)");
    }
    println!(
        "(fetched {}{})",
        crate::timefmt::relative(now, t.fetched_at, true),
        t.error
            .as_deref()
            .map(|e| format!("; the last fetch failed: {}", line(e)))
            .unwrap_or_default()
    );
}
