//! Alert commands, run by the one poller: each alert raised is handed once to its `[[alert]]`'s
//! `command` as JSON on stdin. The program is started directly (argv, never a shell), so nothing a
//! stranger wrote can become a command; every string is sanitised; a command that runs past its
//! timeout is killed; a failure is logged, and the writes go on.

use crate::rules::Alert;
use crate::store::{AlertDelivery, Store};
use chrono::Utc;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Claim what the alerts with a command have raised, and run each command on a thread of its own
/// (the writer never waits for them; the threads are kept to be joined when the poller closes, so
/// `poll --once` ends after its alerts' commands, each bounded by its timeout).
pub(super) fn deliver(store: &mut Store, alerts: &[Alert], running: &mut Vec<std::thread::JoinHandle<()>>) {
    running.retain(|t| !t.is_finished());
    let names: Vec<String> = alerts
        .iter()
        .filter(|a| a.command.is_some())
        .map(|a| a.name.clone())
        .collect();
    if names.is_empty() {
        return;
    }
    let claimed = match store.claim_alert_deliveries(&names, Utc::now()) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("cannot claim alerts to deliver: {e}");
            return;
        }
    };
    for d in claimed {
        let Some(alert) = alerts.iter().find(|a| a.name == d.alert) else {
            continue;
        };
        let (Some(argv), timeout) = (alert.command.clone(), alert.timeout) else {
            continue;
        };
        match std::thread::Builder::new()
            .name("overhear-alert".into())
            .spawn(move || run(&argv, &d, timeout))
        {
            Ok(t) => running.push(t),
            Err(e) => tracing::error!("cannot start an alert command: {e}"),
        }
    }
}

/// The alert as the command reads it.
fn payload(d: &AlertDelivery) -> String {
    let clean = |s: &Option<String>| s.as_deref().map(crate::text::sanitize);
    serde_json::json!({
        "id": d.id,
        "alert": crate::text::sanitize_line(&d.alert),
        "trigger": d.trigger,
        "mention_id": d.mention_id,
        "created_at": d.created_at.to_rfc3339(),
        "mention": d.mention_id.map(|_| serde_json::json!({
            "title": clean(&d.title),
            "text": clean(&d.text),
            "author": clean(&d.author),
            "url": clean(&d.url),
            "feed": clean(&d.feed),
        })),
    })
    .to_string()
}

fn run(argv: &[String], d: &AlertDelivery, timeout: Duration) {
    let started = Instant::now();
    let mut child = match Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(alert = %d.alert, id = d.id, "cannot run the alert's command {:?}: {e}", argv[0]);
            return;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is its own business.
        let _ = stdin.write_all(payload(d).as_bytes());
    }
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => {
                tracing::info!(alert = %d.alert, id = d.id, ms = started.elapsed().as_millis() as u64, "alert delivered");
                return;
            }
            Ok(Some(status)) => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                tracing::error!(
                    alert = %d.alert,
                    id = d.id,
                    "the alert's command failed ({status}): {}",
                    crate::text::sanitize_line(err.trim())
                );
                return;
            }
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                tracing::error!(alert = %d.alert, id = d.id, "the alert's command ran past {timeout:?} and was stopped");
                return;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                tracing::error!(alert = %d.alert, id = d.id, "cannot wait for the alert's command: {e}");
                return;
            }
        }
    }
}
