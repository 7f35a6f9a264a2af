//! `qcall config check FILE`: validates a config file the way `qcall
//! serve` does (every key known, every value sensible, the hall buildable)
//! and says what is wrong with its line, so an edit can be checked before
//! a restart or a reload.
//!
//! The checks are the config's own (`Config::parse`); this file only finds
//! the line: from the TOML parser's span, or for a value the hall refuses
//! from the `[section] key` the message names.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::Failure;
use crate::config::Config;

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
        Err(e) => {
            let (line, message) = explain(&text, &e);
            let at = line.map_or_else(|| name.clone(), |l| format!("{name}:{l}"));
            Err(Failure {
                code: 1,
                error: anyhow::anyhow!("{at}: {message}"),
            })
        }
    }
}

/// The line (1-based) a config error is about, if it can be told, and the
/// message without the parser's own snippet.
pub(crate) fn explain(text: &str, e: &anyhow::Error) -> (Option<usize>, String) {
    if let Some(t) = e.downcast_ref::<toml::de::Error>() {
        let line = t.span().map(|s| line_of(text, s.start));
        return (line, t.message().trim().to_owned());
    }
    let message = format!("{e:#}");
    (line_of_key(text, &message), message)
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// For "[section] key = ...": the line of `key =` inside that section (or
/// of the section's header); `None` when the message names no key.
fn line_of_key(text: &str, message: &str) -> Option<usize> {
    let open = message.find('[')?;
    let rest = &message[open..];
    let close = rest.find(']')?;
    let section = rest[..close].trim_start_matches('[');
    let after = rest[close..].trim_start_matches(']').trim_start();
    let key: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let mut in_section = false;
    let mut header = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') {
            let name = line.trim_start_matches('[');
            let name = name.split(']').next().unwrap_or("").trim();
            in_section = name == section;
            if in_section && header.is_none() {
                header = Some(i + 1);
            }
            continue;
        }
        if in_section
            && !key.is_empty()
            && line
                .strip_prefix(key.as_str())
                .is_some_and(|r| r.trim_start().starts_with('='))
        {
            return Some(i + 1);
        }
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, line: Option<usize>, part: &str) {
        let e = Config::parse(text).expect_err(text);
        let (got, message) = explain(text, &e);
        assert_eq!(got, line, "{message}");
        assert!(message.contains(part), "{message}");
    }

    #[test]
    fn errors_name_their_line() {
        let ok = include_str!("../../../../config/demo.toml");
        assert!(Config::parse(ok).is_ok());
        let line = |needle: &str| ok.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
        // A syntax error: the parser's span.
        let broken = ok.replacen("keep = 24", "keep = = 24", 1);
        assert_ne!(broken, ok);
        check(&broken, Some(line("keep = 24")), "");
        // An unknown key: the parser's span, the key named.
        let typo = ok.replacen("[backup]", "[backup]\nkepe = 3", 1);
        assert_ne!(typo, ok);
        check(&typo, Some(line("[backup]") + 1), "kepe");
        // A value the hall refuses: the key's line in its section.
        let zero = ok.replacen(
            "timezone = \"Asia/Shanghai\"",
            "timezone = \"Mars/Olympus\"",
            1,
        );
        check(&zero, Some(line("timezone = ")), "[hall] timezone");
    }

    #[test]
    fn a_missing_cutoff_minutes_names_the_hours_header_unless_the_forecast_decides() {
        let demo = include_str!("../../../../config/demo.toml");
        let header = demo.lines().position(|l| l == "[hours]").unwrap() + 1;
        let without = demo.replacen("cutoff_minutes = 30\n", "", 1);
        assert_ne!(without, demo);
        check(&without, Some(header), "[hours] cutoff_minutes is missing");
        let forecast = without.replacen("[hours]\n", "[hours]\ncutoff = \"forecast\"\n", 1);
        assert!(Config::parse(&forecast).is_ok());
    }
}
