//! Where overhear keeps its files, from `directories` (XDG on Linux), unless flags or the
//! environment say otherwise.

use anyhow::{Context, Result};
use directories::ProjectDirs;
use std::path::PathBuf;

fn dirs() -> Result<ProjectDirs> {
    ProjectDirs::from("", "", "overhear").context("cannot find a home directory for overhear's files (is $HOME set?)")
}

/// `~/.config/overhear/config.toml` on Linux.
pub fn default_config() -> Result<PathBuf> {
    Ok(dirs()?.config_dir().join("config.toml"))
}

/// `~/.local/share/overhear/overhear.db` on Linux.
pub fn default_db() -> Result<PathBuf> {
    Ok(dirs()?.data_dir().join("overhear.db"))
}

/// The log file: `~/.local/state/overhear/overhear.log` on Linux.
pub fn log_file() -> Result<PathBuf> {
    let d = dirs()?;
    let dir = d.state_dir().unwrap_or_else(|| d.data_local_dir());
    Ok(dir.join("overhear.log"))
}
