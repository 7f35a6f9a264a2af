//! `qcall token`: creates and revokes the credentials of counters,
//! clerks, supervisors, guides and integrations, straight in the database.
//!
//! A secret is printed once and only its hash is stored. Checking tokens on
//! requests is `qcall-web`'s `Auth`, not this file's.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use qcall_store::{Role, Store, token_hash};

use super::now_ms;
use crate::config::Config;

#[derive(Debug, Args)]
pub(super) struct ConfigDb {
    /// The hall's config file.
    #[arg(long, short)]
    config: PathBuf,
    /// Database file (default: `[server] db` from the config).
    #[arg(long)]
    db: Option<PathBuf>,
}

impl ConfigDb {
    pub(super) fn load(&self) -> anyhow::Result<(Config, PathBuf)> {
        let config = Config::load(&self.config)?;
        let db = self.db.clone().unwrap_or_else(|| config.server.db.clone());
        Ok((config, db))
    }
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(super) struct Subject {
    /// A counter's token (acts at that counter only).
    #[arg(long)]
    counter: Option<String>,
    /// A supervisor's token (acts anywhere), named after the person.
    #[arg(long)]
    supervisor: Option<String>,
    /// A guide's token (takes tickets for applicants), named after the person.
    #[arg(long)]
    guide: Option<String>,
    /// An integration's token (another system booking appointments), named after it.
    #[arg(long)]
    integration: Option<String>,
}

#[derive(Debug, Args)]
pub(super) struct StaffArg {
    /// With --counter: the clerk the token is for; their work is counted as
    /// theirs in the statistics.
    #[arg(long, requires = "counter")]
    staff: Option<String>,
}

impl Subject {
    fn role(&self) -> (Role, &str) {
        match (&self.counter, &self.supervisor, &self.guide) {
            (Some(c), _, _) => (Role::Counter, c),
            (_, Some(s), _) => (Role::Supervisor, s),
            (_, _, Some(g)) => (Role::Guide, g),
            _ if self.integration.is_some() => (
                Role::Integration,
                self.integration.as_deref().unwrap_or_default(),
            ),
            _ => unreachable!("clap requires one"),
        }
    }
}

#[derive(Debug, Subcommand)]
pub(super) enum TokenCmd {
    /// Create a token and print it once; only its hash is stored.
    Create {
        #[command(flatten)]
        at: ConfigDb,
        #[command(flatten)]
        subject: Subject,
        #[command(flatten)]
        staff: StaffArg,
    },
    /// Revoke every token of a counter or person.
    Revoke {
        #[command(flatten)]
        at: ConfigDb,
        #[command(flatten)]
        subject: Subject,
    },
}

pub(super) fn token(cmd: TokenCmd) -> anyhow::Result<()> {
    match cmd {
        TokenCmd::Create { at, subject, staff } => {
            let (config, db) = at.load()?;
            let (role, name) = subject.role();
            if role == Role::Counter && config.hall()?.counter(name).is_none() {
                anyhow::bail!("there is no counter `{name}` in {}", at.config.display());
            }
            ensure_parent(&db)?;
            let mut store = Store::open(&db)?;
            let secret = qcall_store::new_secret()?;
            match &staff.staff {
                Some(clerk) => {
                    store.add_staff_token(&token_hash(&secret), name, clerk, now_ms())?
                }
                None => store.add_token(&token_hash(&secret), role, name, now_ms())?,
            }
            eprintln!(
                "created a {} token for `{name}`; it is shown only now, keep it safe:",
                role.as_str()
            );
            println!("{secret}");
            Ok(())
        }
        TokenCmd::Revoke { at, subject } => {
            let (_, db) = at.load()?;
            let (role, name) = subject.role();
            let n = Store::open(&db)?.revoke_tokens(role, name, now_ms())?;
            println!("revoked {n} {} token(s) for `{name}`", role.as_str());
            Ok(())
        }
    }
}

pub(super) fn ensure_parent(db: &Path) -> anyhow::Result<()> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(())
}
