//! The `qcall` command line: the clap definitions of every command, the
//! exit codes, and the dispatch to one file per command group.
//!
//! Exit codes (also in `qcall --help`): 0 success; 1 failure (bad config,
//! IO); 2 usage error; 3 the server refused the request (4xx); 4 the server
//! could not be reached or failed (5xx); 5 `db check` found problems or a
//! damaged file.
//!
//! # Layout
//! - [`serve`]: `serve`, the daemon (listener, clock, signals).
//! - [`token`]: `token create|revoke`, credentials in the database.
//! - [`staff`]: `staff add|passwd|disable|enable|list`, staff accounts.
//! - [`config`]: `config check FILE`, a config validated with its lines.
//! - [`ticket`]: `ticket take|show|preview` over the API.
//! - [`counter`]: `counter VERB`, its verbs from the core's table of counter actions.
//! - [`status`]: `status` and `stats`.
//! - [`printer`]: `print-test` and the slip behind `ticket preview`.
//! - [`say`]: `say`, one call on the speakers or in a WAV file.
//! - [`db`]: `db check|backup|restore`.
//!
//! `default-config` is the embedded example, printed here; `simulate` and
//! `bench` live in [`crate::simulate`] and [`crate::bench`]. No command
//! decides anything the daemon or the core decides: the files here parse
//! flags, call the API or the library, and print.

mod config;
mod counter;
mod db;
mod printer;
mod say;
mod serve;
mod staff;
mod status;
mod ticket;
mod token;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use qcall_engine::{Clock, SystemClock};
use serde_json::Value;

use crate::client::Response;
use crate::config::EXAMPLE;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure (bad config, unreadable file, ...)
  2  usage error
  3  the server refused the request (4xx: unknown service, wrong token, ...)
  4  the server could not be reached or failed (5xx)
  5  `db check` (or `db restore` checking its source) found problems
     or a damaged file";

#[derive(Debug, Parser)]
#[command(name = "qcall", version, about = "Queue-number kiosk and counter-calling daemon for service halls", after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the hall daemon.
    Serve(serve::ServeArgs),
    /// Print the fully commented example config.
    DefaultConfig,
    /// Check a config file before serving or reloading it.
    #[command(subcommand)]
    Config(config::ConfigCmd),
    /// Create or revoke credentials for counters, supervisors and guides.
    #[command(subcommand)]
    Token(token::TokenCmd),
    /// Staff accounts (工号, name, role, password) that sign in on /counter and /admin.
    #[command(subcommand)]
    Staff(staff::StaffCmd),
    /// Take or look up tickets.
    #[command(subcommand)]
    Ticket(ticket::TicketCmd),
    /// Act at a counter: call the next ticket, recall, finish, ...
    Counter(counter::CounterArgs),
    /// Show the hall's queues and current calls.
    Status(ServerArg),
    /// Show a day's statistics.
    Stats(status::StatsArgs),
    /// Database maintenance.
    #[command(subcommand)]
    Db(db::DbCmd),
    /// Simulate a busy day on the real engine and write a report with plots.
    Simulate(crate::simulate::SimulateArgs),
    /// Print a sample ticket on the configured printers (or one of them).
    PrintTest(printer::PrintTestArgs),
    /// Measure ticket throughput and display fan-out on this machine.
    Bench(crate::bench::BenchArgs),
    /// Say a call on the hall speakers, or write it to a WAV file.
    Say(say::SayArgs),
}

/// Where the daemon is, for the commands that talk to it.
#[derive(Debug, Args)]
struct ServerArg {
    /// The daemon's URL.
    #[arg(long, env = "QCALL_SERVER", default_value = "http://127.0.0.1:8080")]
    server: String,
    /// Print the server's JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

/// A failure with its exit code.
#[derive(Debug)]
struct Failure {
    code: u8,
    error: anyhow::Error,
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Failure {
        Failure { code: 1, error }
    }
}

fn refused(resp: &Response) -> Failure {
    let code = if resp.status.is_server_error() { 4 } else { 3 };
    Failure {
        code,
        error: anyhow::anyhow!("{} ({})", resp.error_message(), resp.status),
    }
}

fn unreachable(e: anyhow::Error) -> Failure {
    Failure { code: 4, error: e }
}

/// Entry point for `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(dispatch(cli.command));
    // Dropping the runtime would wait for any blocking call still running
    // (a printer write, a stuck socket task's last step): the daemon's
    // shutdown is bounded, so is this.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
}

async fn dispatch(cmd: Cmd) -> Result<(), Failure> {
    match cmd {
        Cmd::Serve(args) => serve::serve(args).await.map_err(Failure::from),
        Cmd::DefaultConfig => {
            print!("{EXAMPLE}");
            Ok(())
        }
        Cmd::Token(cmd) => token::token(cmd).map_err(Failure::from),
        Cmd::Config(cmd) => config::config(cmd),
        Cmd::Staff(cmd) => staff::staff(cmd).map_err(Failure::from),
        Cmd::Ticket(cmd) => ticket::ticket(cmd).await,
        Cmd::Counter(args) => counter::counter(args).await,
        Cmd::Status(server) => status::status(server).await,
        Cmd::Stats(args) => status::stats(args).await,
        Cmd::Db(cmd) => db::db(cmd),
        Cmd::PrintTest(args) => printer::print_test(args).await,
        Cmd::Simulate(args) => crate::simulate::run(args).await.map_err(Failure::from),
        Cmd::Bench(args) => crate::bench::run(args).await.map_err(Failure::from),
        Cmd::Say(args) => tokio::task::spawn_blocking(move || say::say(args))
            .await
            .map_err(|e| anyhow::anyhow!("the say task failed: {e}"))?
            .map_err(Failure::from),
    }
}

fn now_ms() -> i64 {
    SystemClock.now()
}

fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn fixed_invocations_parse() {
        let ok = |args: &[&str]| {
            Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        };
        ok(&[
            "qcall",
            "serve",
            "--config",
            "c.toml",
            "--db",
            "x.db",
            "--listen",
            "127.0.0.1:0",
        ]);
        ok(&[
            "qcall",
            "token",
            "create",
            "--config",
            "c.toml",
            "--counter",
            "3",
        ]);
        ok(&[
            "qcall",
            "staff",
            "add",
            "--config",
            "c.toml",
            "--db",
            "x.db",
            "--id",
            "1024",
            "--name",
            "李娜",
            "--role",
            "clerk",
            "--password-stdin",
        ]);
        ok(&[
            "qcall", "staff", "passwd", "--config", "c.toml", "--id", "1024",
        ]);
        ok(&[
            "qcall", "staff", "disable", "--config", "c.toml", "--id", "1024",
        ]);
        ok(&[
            "qcall", "staff", "list", "--config", "c.toml", "--db", "x.db",
        ]);
        assert!(
            Cli::try_parse_from([
                "qcall", "staff", "add", "--config", "c", "--id", "1", "--name", "n", "--role",
                "boss"
            ])
            .is_err(),
            "an unknown role"
        );
        ok(&[
            "qcall",
            "token",
            "revoke",
            "--config",
            "c.toml",
            "--db",
            "x.db",
            "--counter",
            "3",
        ]);
        ok(&[
            "qcall",
            "ticket",
            "take",
            "--server",
            "http://h:1",
            "A",
            "--priority",
            "elderly",
        ]);
        ok(&["qcall", "ticket", "show", "--server", "http://h:1", "12"]);
        ok(&[
            "qcall",
            "counter",
            "call",
            "--server",
            "http://h:1",
            "--counter",
            "3",
            "--token",
            "t",
        ]);
        for verb in ["recall", "no-show", "finish", "pause"] {
            ok(&[
                "qcall",
                "counter",
                verb,
                "--server",
                "http://h:1",
                "--counter",
                "3",
                "--token",
                "t",
            ]);
        }
        ok(&[
            "qcall",
            "counter",
            "transfer",
            "--counter",
            "3",
            "--token",
            "t",
            "--to-service",
            "B",
        ]);
        ok(&["qcall", "status", "--server", "http://h:1"]);
        ok(&["qcall", "default-config"]);
        ok(&["qcall", "db", "check", "--db", "x.db"]);
        ok(&["qcall", "stats", "--date", "2026-11-22", "--format", "csv"]);
        ok(&[
            "qcall",
            "say",
            "--config",
            "c.toml",
            "--ticket",
            "A012",
            "--counter",
            "3",
            "--locale",
            "en",
            "--out",
            "x.wav",
        ]);
        assert!(
            Cli::try_parse_from([
                "qcall",
                "say",
                "-c",
                "c",
                "--ticket",
                "A1",
                "--counter",
                "3",
                "--locale",
                "fr"
            ])
            .is_err(),
            "only known locales"
        );
        assert!(
            Cli::try_parse_from(["qcall", "token", "create", "--config", "c"]).is_err(),
            "needs a subject"
        );
    }

    #[test]
    fn every_counter_verb_parses_and_is_in_the_help() {
        let help = Cli::command()
            .find_subcommand_mut("counter")
            .expect("a counter command")
            .render_long_help()
            .to_string();
        // Every action of the core's table a client may ask for: by its
        // word, its API name and its aliases, and listed in --help.
        for a in qcall_core::command::ActionSpec::for_clients() {
            let word = counter::word(a);
            for typed in [word, a.name].iter().chain(a.aliases) {
                Cli::try_parse_from(["qcall", "counter", typed, "--counter", "3", "--token", "t"])
                    .unwrap_or_else(|e| panic!("{typed}: {e}"));
            }
            assert!(help.contains(word), "`{word}` missing from:\n{help}");
        }
        let ok = |args: &[&str]| {
            Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        };
        ok(&[
            "qcall",
            "counter",
            "suspend",
            "--counter",
            "3",
            "--token",
            "t",
            "--missing",
            "户口簿",
            "--missing",
            "照片",
            "--note",
            "明天上午再来",
        ]);
        ok(&[
            "qcall",
            "counter",
            "close",
            "--counter",
            "3",
            "--token",
            "t",
            "--force",
        ]);
        assert!(
            Cli::try_parse_from([
                "qcall",
                "counter",
                "frobnicate",
                "--counter",
                "3",
                "--token",
                "t"
            ])
            .is_err()
        );
    }

    #[test]
    fn a_preview_of_a_server_ticket_needs_the_hall_config() {
        assert!(Cli::try_parse_from(["qcall", "ticket", "preview", "17"]).is_err());
        for args in [
            &["qcall", "ticket", "preview", "17", "--config", "c.toml"][..],
            &["qcall", "ticket", "preview", "--sample"],
            &[
                "qcall", "ticket", "preview", "--sample", "-c", "c.toml", "--width", "58",
            ],
        ] {
            Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        }
    }
}
