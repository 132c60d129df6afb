//! Alert commands, run by the one poller: each alert raised is handed once to its `[[alert]]`'s
//! `command` as JSON on stdin. The program is started directly (argv, never a shell), so nothing a
//! stranger wrote can become a command; every string is sanitised; a command that runs past its
//! timeout is killed; how it ended is stored with the alert (`overhear feeds` and `overhear alerts`
//! show failures) and logged, and the writes go on.

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
        let db = store.location();
        match std::thread::Builder::new()
            .name("overhear-alert".into())
            .spawn(move || {
                let outcome = run(&argv, &d, timeout);
                // On a connection of its own: the writer never waits for a command.
                let recorded = db
                    .open()
                    .and_then(|mut s| s.record_alert_delivery(d.id, outcome, Utc::now()));
                if let Err(e) = recorded {
                    tracing::error!(alert = %d.alert, id = d.id, "cannot record how the alert's command ended: {e}");
                }
            }) {
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

/// Run the command with the alert on stdin: `Err` says how it failed, in words.
fn run(argv: &[String], d: &AlertDelivery, timeout: Duration) -> Result<(), String> {
    let started = Instant::now();
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(d, format!("cannot run {:?}: {e}", argv[0])))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is its own business.
        let _ = stdin.write_all(payload(d).as_bytes());
    }
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => {
                tracing::info!(alert = %d.alert, id = d.id, ms = started.elapsed().as_millis() as u64, "alert delivered");
                return Ok(());
            }
            Ok(Some(status)) => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                let err = crate::text::sanitize_line(err.trim());
                let err = crate::text::truncate_to_width(&err, 200);
                return Err(failed(d, format!("{:?} failed ({status}): {err}", argv[0])));
            }
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(d, format!("{:?} ran past {timeout:?} and was stopped", argv[0])));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(failed(d, format!("cannot wait for {:?}: {e}", argv[0]))),
        }
    }
}

/// Log a failure of the alert's command, and say it.
fn failed(d: &AlertDelivery, what: String) -> String {
    tracing::error!(alert = %d.alert, id = d.id, "the alert's command: {what}");
    what
}
