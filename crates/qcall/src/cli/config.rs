//! `qcall config check FILE`: validates a config file the way `qcall
//! serve` does (every key known, every value sensible, the hall buildable)
//! and says what is wrong with its line, so an edit can be checked before
//! a restart or a reload.
//!
//! The checks are the config's own (`Config::parse`) and so is finding the
//! line (`config::located`, which `qcall serve` shares); this file only
//! reads the file and prints.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::Failure;
use crate::config::{self, Config};

#[derive(Debug, Subcommand)]
pub(super) enum ConfigCmd {
    /// Check a config file: exit 0 when `qcall serve` would take it, 1 with
    /// FILE:LINE: what is wrong otherwise.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub(super) struct CheckArgs {
    /// The config file to check.
    file: PathBuf,
}

pub(super) fn config(cmd: ConfigCmd) -> Result<(), Failure> {
    let ConfigCmd::Check(args) = cmd;
    let name = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
    match Config::parse(&text) {
        Ok(config) => {
            println!(
                "{name}: ok ({} services, {} counters, {} printers)",
                config.services.len(),
                config.counters.len(),
                config.printers.len()
            );
            Ok(())
        }
        Err(e) => Err(Failure {
            code: 1,
            error: anyhow::anyhow!("{}", config::located(&name, &text, &e)),
        }),
    }
}
