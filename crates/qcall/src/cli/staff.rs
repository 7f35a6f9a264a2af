//! `qcall staff add|passwd|disable|enable|list`: staff accounts (工号, name,
//! role, password) straight in the database, like `qcall token`.
//!
//! A password comes from a prompt without echo, or from standard input
//! with `--password-stdin` (its first line), never from the command line,
//! where other users of the PC could read it. Only its argon2id hash is
//! stored. Signing in is the daemon's (`POST /api/v1/session`), not this
//! file's.

use std::io::BufRead;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use qcall_store::{StaffAccount, StaffRole, Store};

use super::now_ms;
use super::token::{ConfigDb, ensure_parent};

/// Where the account is and which one.
#[derive(Debug, Args)]
pub(super) struct Which {
    #[command(flatten)]
    at: ConfigDb,
    /// The staff member's 工号 (their sign-in name), e.g. 1024.
    #[arg(long)]
    id: String,
}

#[derive(Debug, Args)]
pub(super) struct PasswordFrom {
    /// Read the password from the first line of standard input instead of
    /// a prompt (for scripts: `echo "$PW" | qcall staff add ...`).
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub(super) enum StaffCmd {
    /// Add a staff account; the password is asked for (or read with --password-stdin).
    Add {
        #[command(flatten)]
        which: Which,
        /// Their name as the window screen and the statistics show it.
        #[arg(long)]
        name: String,
        /// clerk (works at a counter), guide (导办, beside the kiosks) or
        /// supervisor (runs the hall).
        #[arg(long, value_parser = role)]
        role: StaffRole,
        #[command(flatten)]
        password: PasswordFrom,
    },
    /// Set a new password; ends the account's sessions and clears a lockout.
    Passwd {
        #[command(flatten)]
        which: Which,
        #[command(flatten)]
        password: PasswordFrom,
    },
    /// Disable an account: it cannot sign in and its sessions end at once.
    Disable {
        #[command(flatten)]
        which: Which,
    },
    /// Enable a disabled account again.
    Enable {
        #[command(flatten)]
        which: Which,
    },
    /// List the accounts.
    List {
        #[command(flatten)]
        at: ConfigDb,
    },
}

fn role(s: &str) -> Result<StaffRole, String> {
    StaffRole::parse(s).ok_or_else(|| {
        let all: Vec<&str> = StaffRole::ALL.iter().map(|r| r.as_str()).collect();
        format!("`{s}` is not a role; use {}", all.join(", "))
    })
}

/// The password, from standard input or a prompt (asked twice).
fn read_password(from: &PasswordFrom) -> anyhow::Result<String> {
    let password = if from.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("password: ")
            .context("cannot prompt for a password (no terminal? use --password-stdin)")?;
        let again = rpassword::prompt_password("again: ")?;
        if first != again {
            bail!("the two passwords differ; nothing was changed");
        }
        first
    };
    qcall_store::check_password(&password).map_err(anyhow::Error::msg)?;
    Ok(password)
}

fn open(at: &ConfigDb) -> anyhow::Result<Store> {
    let (_, db) = at.load()?;
    ensure_parent(&db)?;
    Ok(Store::open(&db)?)
}

pub(super) fn staff(cmd: StaffCmd) -> anyhow::Result<()> {
    match cmd {
        StaffCmd::Add {
            which,
            name,
            role,
            password,
        } => {
            qcall_store::check_id(&which.id).map_err(anyhow::Error::msg)?;
            qcall_store::check_name(&name).map_err(anyhow::Error::msg)?;
            let mut store = open(&which.at)?;
            if store.staff_account(&which.id)?.is_some() {
                bail!(
                    "工号 {} is taken; choose another, or change its password with `qcall staff passwd`",
                    which.id
                );
            }
            let hash = qcall_store::hash_password(&read_password(&password)?)?;
            let account = StaffAccount {
                id: which.id.clone(),
                name: name.trim().to_owned(),
                role,
                disabled: false,
                failed_logins: 0,
                locked_until: None,
            };
            store.add_staff(&account, &hash, now_ms())?;
            println!(
                "added {} {} ({}); they sign in on /counter or /admin with 工号 {}",
                role.as_str(),
                account.name,
                account.id,
                account.id
            );
        }
        StaffCmd::Passwd { which, password } => {
            let mut store = open(&which.at)?;
            if store.staff_account(&which.id)?.is_none() {
                bail!(
                    "there is no staff account {}; `qcall staff list` shows them",
                    which.id
                );
            }
            let hash = qcall_store::hash_password(&read_password(&password)?)?;
            store.set_staff_password(&which.id, &hash, now_ms())?;
            println!(
                "set a new password for {}; their sessions have ended",
                which.id
            );
        }
        StaffCmd::Disable { which } => {
            open(&which.at)?.set_staff_disabled(&which.id, true, now_ms())?;
            println!("disabled {}; their sessions have ended", which.id);
        }
        StaffCmd::Enable { which } => {
            open(&which.at)?.set_staff_disabled(&which.id, false, now_ms())?;
            println!("enabled {}; they may sign in again", which.id);
        }
        StaffCmd::List { at } => {
            let now = now_ms();
            for a in open(&at)?.staff_list()? {
                let state = if a.disabled {
                    "disabled"
                } else if a.locked_for(now).is_some() {
                    "locked"
                } else {
                    "active"
                };
                println!("{}\t{}\t{}\t{state}", a.id, a.name, a.role.as_str());
            }
        }
    }
    Ok(())
}
