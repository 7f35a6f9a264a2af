//! The `qcall` command line: clap definitions and what each command does.
//!
//! Exit codes (also in `qcall --help`): 0 success; 1 failure (bad config,
//! IO); 2 usage error; 3 the server refused the request (4xx); 4 the server
//! could not be reached or failed (5xx); 5 `db check` found problems.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use hyper::StatusCode;
use qcall_engine::{Clock, SystemClock};
use qcall_store::{Role, Store, token_hash};
use serde_json::{Value, json};

use crate::client::{Conn, Response};
use crate::config::{Config, EXAMPLE};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure (bad config, unreadable file, ...)
  2  usage error
  3  the server refused the request (4xx: unknown service, wrong token, ...)
  4  the server could not be reached or failed (5xx)
  5  `db check` found problems";

#[derive(Debug, Parser)]
#[command(name = "qcall", version, about = "Queue-number kiosk and counter-calling daemon for service halls", after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the hall daemon.
    Serve(ServeArgs),
    /// Print the fully commented example config.
    DefaultConfig,
    /// Create or revoke credentials for counters, supervisors and guides.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Take or look up tickets.
    #[command(subcommand)]
    Ticket(TicketCmd),
    /// Act at a counter: call the next ticket, recall, finish, ...
    Counter(CounterArgs),
    /// Show the hall's queues and current calls.
    Status(ServerArg),
    /// Show a day's statistics.
    Stats(StatsArgs),
    /// Database maintenance.
    #[command(subcommand)]
    Db(DbCmd),
    /// Simulate a busy day on the real engine and write a report with plots.
    Simulate(crate::simulate::SimulateArgs),
    /// Print a sample ticket on the configured printers (or one of them).
    PrintTest(PrintTestArgs),
    /// Measure ticket throughput and display fan-out on this machine.
    Bench(crate::bench::BenchArgs),
    /// Say a call on the hall speakers, or write it to a WAV file.
    Say(SayArgs),
}

#[derive(Debug, Args)]
struct SayArgs {
    /// The hall's config file (its [audio] section is used).
    #[arg(long, short)]
    config: PathBuf,
    /// Ticket number as shown, e.g. A012.
    #[arg(long)]
    ticket: String,
    /// Counter number as announced, e.g. 3.
    #[arg(long)]
    counter: u32,
    /// Say only this language (default: every one in [audio] locales).
    #[arg(long, value_parser = ["zh-CN", "en"])]
    locale: Option<String>,
    /// Announce it as a recall.
    #[arg(long)]
    recall: bool,
    /// Write a WAV file instead of playing it.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The hall's config file.
    #[arg(long, short)]
    config: PathBuf,
    /// Database file (default: `[server] db` from the config).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Address to listen on (default: `[server] listen`); port 0 picks one.
    #[arg(long)]
    listen: Option<String>,
}

#[derive(Debug, Args)]
struct ConfigDb {
    /// The hall's config file.
    #[arg(long, short)]
    config: PathBuf,
    /// Database file (default: `[server] db` from the config).
    #[arg(long)]
    db: Option<PathBuf>,
}

impl ConfigDb {
    fn load(&self) -> anyhow::Result<(Config, PathBuf)> {
        let config = Config::load(&self.config)?;
        let db = self.db.clone().unwrap_or_else(|| config.server.db.clone());
        Ok((config, db))
    }
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct Subject {
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
struct StaffArg {
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
enum TokenCmd {
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

#[derive(Debug, Args)]
struct ServerArg {
    /// The daemon's URL.
    #[arg(long, env = "QCALL_SERVER", default_value = "http://127.0.0.1:8080")]
    server: String,
    /// Print the server's JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum TicketCmd {
    /// Take a ticket for a service.
    Take {
        #[command(flatten)]
        server: ServerArg,
        /// Service code, e.g. A.
        service: String,
        /// Priority class, e.g. elderly (default: the hall's normal class).
        #[arg(long)]
        priority: Option<String>,
        /// Kiosk id recorded with the ticket.
        #[arg(long)]
        source: Option<String>,
        /// A guide or supervisor token, to issue on someone's behalf.
        #[arg(long, env = "QCALL_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Show a ticket by id.
    Show {
        #[command(flatten)]
        server: ServerArg,
        id: String,
    },
    /// Show a ticket slip as text, as it would print: a ticket from the
    /// server by id, or a sample.
    Preview {
        #[command(flatten)]
        server: ServerArg,
        /// Ticket id (from the server).
        #[arg(required_unless_present = "sample")]
        id: Option<String>,
        /// A sample ticket instead (with --config: of that hall).
        #[arg(long, conflicts_with = "id")]
        sample: bool,
        /// The hall's config file, for --sample.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Paper width: 58 or 80.
        #[arg(long, default_value_t = 80)]
        width: u32,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum CounterVerb {
    Call,
    Recall,
    NoShow,
    Requeue,
    Start,
    Finish,
    Transfer,
    Pause,
    Resume,
    Open,
    Close,
}

#[derive(Debug, Args)]
struct CounterArgs {
    /// What to do.
    #[arg(value_enum)]
    verb: CounterVerb,
    #[command(flatten)]
    server: ServerArg,
    /// Counter id.
    #[arg(long)]
    counter: String,
    /// The counter's (or a supervisor's) token.
    #[arg(long, env = "QCALL_TOKEN", hide_env_values = true)]
    token: String,
    /// With finish: the applicant's rating, 1 (very dissatisfied) to 5.
    #[arg(long)]
    rating: Option<u8>,
    /// With transfer: the service to send the ticket to.
    #[arg(long, conflicts_with = "to_counter")]
    to_service: Option<String>,
    /// With transfer: the counter to send the ticket to.
    #[arg(long)]
    to_counter: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum StatsFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
struct StatsArgs {
    #[command(flatten)]
    server: ServerArg,
    /// Business day, YYYY-MM-DD (default: today).
    #[arg(long)]
    date: Option<String>,
    /// Output: a table for people, JSON, or CSV (one row per hall, service and counter).
    #[arg(long, value_enum, default_value = "table")]
    format: StatsFormat,
}

#[derive(Debug, Args)]
struct PrintTestArgs {
    /// The hall's config file.
    #[arg(long, short)]
    config: PathBuf,
    /// A printer id from the config, or a printer URI such as tcp://192.168.1.50:9100.
    #[arg(long)]
    printer: Option<String>,
    /// Paper width for a printer given by URI.
    #[arg(long, default_value_t = 80)]
    width: u32,
}

#[derive(Debug, Subcommand)]
enum DbCmd {
    /// Verify the database file, the event log and the numbering.
    Check {
        /// Database file.
        #[arg(long)]
        db: PathBuf,
    },
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
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
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
    match runtime.block_on(dispatch(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
}

async fn dispatch(cmd: Cmd) -> Result<(), Failure> {
    match cmd {
        Cmd::Serve(args) => serve(args).await.map_err(Failure::from),
        Cmd::DefaultConfig => {
            print!("{EXAMPLE}");
            Ok(())
        }
        Cmd::Token(cmd) => token(cmd).map_err(Failure::from),
        Cmd::Ticket(cmd) => ticket(cmd).await,
        Cmd::Counter(args) => counter(args).await,
        Cmd::Status(server) => status(server).await,
        Cmd::Stats(args) => stats(args).await,
        Cmd::Db(DbCmd::Check { db }) => db_check(&db),
        Cmd::PrintTest(args) => print_test(args).await,
        Cmd::Simulate(args) => crate::simulate::run(args).await.map_err(Failure::from),
        Cmd::Bench(args) => crate::bench::run(args).await.map_err(Failure::from),
        Cmd::Say(args) => tokio::task::spawn_blocking(move || say(args))
            .await
            .map_err(|e| anyhow::anyhow!("the say task failed: {e}"))?
            .map_err(Failure::from),
    }
}

/// `qcall say`: the same clips, rendering and speaker as the daemon.
fn say(args: SayArgs) -> anyhow::Result<()> {
    let mut audio = Config::load(&args.config)?.audio;
    if let Some(l) = args.locale {
        audio.locales = vec![l];
    }
    let script = crate::audio::Script::from_config(&audio)?;
    let pack = crate::audio::load_pack(&audio, &script)?;
    let settings = crate::audio::settings(&audio)?;
    let clips = script.clips(&args.ticket, args.counter, args.recall);
    if let Some(out) = args.out {
        let rendered = qcall_audio::render(&pack, &clips, &settings.style)?;
        rendered.write_wav(&out)?;
        println!(
            "wrote {} ({:.2} s, {} Hz, {} clips)",
            out.display(),
            rendered.duration().as_secs_f64(),
            rendered.sample_rate,
            clips.iter().filter(|c| *c != qcall_audio::PAUSE).count()
        );
        return Ok(());
    }
    let last = Arc::new(std::sync::Mutex::new(qcall_audio::AudioState::default()));
    let seen = last.clone();
    let on_state = Box::new(move |s: &qcall_audio::AudioState| {
        *seen.lock().unwrap_or_else(|e| e.into_inner()) = s.clone();
    });
    let (speaker, join) = qcall_audio::Speaker::start(pack, settings, on_state)?;
    speaker.announce(qcall_audio::Announcement {
        label: format!("{} -> {}", args.ticket, args.counter),
        clips,
    })?;
    // The last handle gone, the speaker plays what is queued and stops.
    drop(speaker);
    join.join()
        .map_err(|_| anyhow::anyhow!("the speaker thread panicked"))?;
    let state = last.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if state.played == 0 {
        anyhow::bail!(
            "nothing was played: {}",
            state.last_error.as_deref().unwrap_or("no sound output")
        );
    }
    println!(
        "said {} -> counter {} on {}",
        args.ticket, args.counter, state.device
    );
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(&args.config)?;
    let db = args.db.unwrap_or_else(|| config.server.db.clone());
    let listen = match args.listen {
        Some(l) => l
            .parse()
            .with_context(|| format!("--listen {l:?} is not an address like 127.0.0.1:8080"))?,
        None => config.listen()?,
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| {
            format!("cannot listen on {listen}; is another qcall (or program) using that port?")
        })?;
    let (clock, manual) = clock()?;
    let name = config.hall.name.en.clone();
    // One line on stdout that scripts and tests can wait for, printed once
    // the database is open.
    let ready = move |addr| println!("qcall: {name} listening on http://{addr}");
    crate::run_with(
        &config,
        &db,
        listener,
        clock,
        manual,
        ready,
        shutdown_signal(),
    )
    .await
}

/// The daemon's clock: the system clock, or in test builds a manual clock
/// started from `QCALL_TEST_CLOCK_MS`.
#[allow(clippy::type_complexity)]
fn clock() -> anyhow::Result<(Arc<dyn Clock>, Option<Arc<qcall_engine::ManualClock>>)> {
    #[cfg(feature = "test-clock")]
    if let Ok(ms) = std::env::var("QCALL_TEST_CLOCK_MS") {
        let ms: i64 = ms
            .parse()
            .context("QCALL_TEST_CLOCK_MS must be milliseconds since the epoch")?;
        let manual = Arc::new(qcall_engine::ManualClock::new(ms));
        return Ok((manual.clone(), Some(manual)));
    }
    Ok((Arc::new(SystemClock), None))
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// A fresh secret: 256 random bits, hex, with a recognisable prefix.
fn new_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
    Ok(format!(
        "qc_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

fn now_ms() -> i64 {
    SystemClock.now()
}

fn token(cmd: TokenCmd) -> anyhow::Result<()> {
    match cmd {
        TokenCmd::Create { at, subject, staff } => {
            let (config, db) = at.load()?;
            let (role, name) = subject.role();
            if role == Role::Counter && config.hall()?.counter(name).is_none() {
                anyhow::bail!("there is no counter `{name}` in {}", at.config.display());
            }
            ensure_parent(&db)?;
            let mut store = Store::open(&db)?;
            let secret = new_secret()?;
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

fn ensure_parent(db: &Path) -> anyhow::Result<()> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(())
}

fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn describe_ticket(t: &Value) -> String {
    let mut line = format!(
        "{}  {} {}  [{}]",
        t["number"].as_str().unwrap_or("?"),
        t["service_name"]["zh"].as_str().unwrap_or(""),
        t["service_name"]["en"].as_str().unwrap_or(""),
        t["state"].as_str().unwrap_or("?"),
    );
    if t["state"] == "waiting" {
        let wait_min = t["estimated_wait_s"].as_u64().unwrap_or(0).div_ceil(60);
        line += &format!("  {} ahead, about {wait_min} min", t["ahead"]);
    }
    if let Some(n) = t["counter"]["number"].as_u64() {
        line += &format!("  -> counter {n}");
    }
    line += &format!(
        "\n  id {}  status {}",
        t["id"],
        t["status_url"].as_str().unwrap_or("")
    );
    line
}

async fn ticket(cmd: TicketCmd) -> Result<(), Failure> {
    match cmd {
        TicketCmd::Take {
            server,
            service,
            priority,
            source,
            token,
        } => {
            let mut conn = Conn::connect(&server.server).await.map_err(unreachable)?;
            let body = json!({ "service": service, "priority": priority, "source": source.or(Some("cli".into())) });
            let resp = conn
                .post("/api/v1/tickets", token.as_deref(), &body)
                .await
                .map_err(unreachable)?;
            if resp.status != StatusCode::CREATED {
                return Err(refused(&resp));
            }
            if server.json {
                print_json(&resp.body);
                return Ok(());
            }
            println!("{}", describe_ticket(&resp.body["ticket"]));
            match resp.body["print"].as_str() {
                Some("printed") => {
                    println!(
                        "  printed on {}",
                        resp.body["printer"].as_str().unwrap_or("?")
                    )
                }
                Some("failed") => println!(
                    "  NOT printed (the ticket stands; reprint it later): {}",
                    resp.body["print_reason"].as_str().unwrap_or("?")
                ),
                _ => {}
            }
            Ok(())
        }
        TicketCmd::Preview {
            server,
            id,
            sample: _,
            config,
            width,
        } => preview(&server, id, config, width).await,
        TicketCmd::Show { server, id } => {
            let mut conn = Conn::connect(&server.server).await.map_err(unreachable)?;
            let resp = conn
                .get(&format!("/api/v1/tickets/{id}"))
                .await
                .map_err(unreachable)?;
            if !resp.status.is_success() {
                return Err(refused(&resp));
            }
            if server.json {
                print_json(&resp.body)
            } else {
                println!("{}", describe_ticket(&resp.body["ticket"]))
            }
            Ok(())
        }
    }
}

async fn counter(args: CounterArgs) -> Result<(), Failure> {
    let action = match args.verb {
        CounterVerb::Call => "call-next",
        CounterVerb::Recall => "recall",
        CounterVerb::NoShow => "no-show",
        CounterVerb::Requeue => "requeue",
        CounterVerb::Start => "start",
        CounterVerb::Finish => "finish",
        CounterVerb::Transfer => "transfer",
        CounterVerb::Pause => "pause",
        CounterVerb::Resume => "resume",
        CounterVerb::Open => "open",
        CounterVerb::Close => "close",
    };
    let mut body = json!({});
    if let Some(r) = args.rating {
        body["rating"] = json!(r);
    }
    if let Some(s) = &args.to_service {
        body["service"] = json!(s);
    }
    if let Some(c) = &args.to_counter {
        body["counter"] = json!(c);
    }
    let mut conn = Conn::connect(&args.server.server)
        .await
        .map_err(unreachable)?;
    let path = format!("/api/v1/counters/{}/{action}", args.counter);
    let resp = conn
        .post(&path, Some(&args.token), &body)
        .await
        .map_err(unreachable)?;
    if resp.status == StatusCode::NO_CONTENT {
        println!("nobody is waiting for counter {}", args.counter);
        return Ok(());
    }
    if !resp.status.is_success() {
        return Err(refused(&resp));
    }
    if args.server.json {
        print_json(&resp.body);
    } else if resp.body["ticket"].is_object() {
        println!("{}", describe_ticket(&resp.body["ticket"]));
    } else {
        println!(
            "counter {} is now {}",
            args.counter,
            resp.body["counter_state"].as_str().unwrap_or("?")
        );
    }
    Ok(())
}

async fn status(server: ServerArg) -> Result<(), Failure> {
    let mut conn = Conn::connect(&server.server).await.map_err(unreachable)?;
    let resp = conn.get("/api/v1/queue").await.map_err(unreachable)?;
    if !resp.status.is_success() {
        return Err(refused(&resp));
    }
    if server.json {
        print_json(&resp.body);
        return Ok(());
    }
    println!(
        "{:<8} {:<24} {:>7} {:>10}  SLA",
        "service", "name", "waiting", "oldest"
    );
    for s in resp.body["services"].as_array().into_iter().flatten() {
        let oldest = s["oldest_wait_s"]
            .as_i64()
            .map_or("-".to_owned(), |w| format!("{}m{:02}s", w / 60, w % 60));
        println!(
            "{:<8} {:<24} {:>7} {:>10}  {}",
            s["service"].as_str().unwrap_or(""),
            s["name"]["en"].as_str().unwrap_or(""),
            s["waiting"],
            oldest,
            s["sla"].as_str().unwrap_or("")
        );
    }
    let calls = resp.body["calls"].as_array().cloned().unwrap_or_default();
    if calls.is_empty() {
        println!("\nno ticket is called right now");
    } else {
        println!("\ncurrent calls:");
        for c in calls {
            println!(
                "  {} -> counter {} ({})",
                c["ticket"]["number"].as_str().unwrap_or("?"),
                c["counter"]["number"],
                c["state"].as_str().unwrap_or("")
            );
        }
    }
    Ok(())
}

async fn stats(args: StatsArgs) -> Result<(), Failure> {
    let mut conn = Conn::connect(&args.server.server)
        .await
        .map_err(unreachable)?;
    let path = match &args.date {
        Some(d) => format!("/api/v1/stats?date={d}"),
        None => "/api/v1/stats".to_owned(),
    };
    let resp = conn.get(&path).await.map_err(unreachable)?;
    if !resp.status.is_success() {
        return Err(refused(&resp));
    }
    let format = if args.server.json {
        StatsFormat::Json
    } else {
        args.format
    };
    match format {
        StatsFormat::Json => {
            print_json(&resp.body);
            return Ok(());
        }
        StatsFormat::Csv => {
            print!("{}", stats_csv(&resp.body));
            return Ok(());
        }
        StatsFormat::Table => {}
    }
    println!(
        "statistics for {}",
        resp.body["date"].as_str().unwrap_or("?")
    );
    println!(
        "{:<10} {:>6} {:>6} {:>7} {:>9} {:>9} {:>9} {:>6}",
        "", "issued", "served", "no-show", "wait p50", "wait p90", "svc p50", "rating"
    );
    let row = |name: String, g: &Value| {
        let secs = |v: &Value| {
            v.as_i64()
                .map_or("-".to_owned(), |s| format!("{}m{:02}s", s / 60, s % 60))
        };
        println!(
            "{:<10} {:>6} {:>6} {:>7} {:>9} {:>9} {:>9} {:>6}",
            name,
            g["issued"],
            g["served"],
            g["no_show"],
            secs(&g["wait_s"]["p50"]),
            secs(&g["wait_s"]["p90"]),
            secs(&g["service_time_s"]["p50"]),
            g["satisfaction"]
                .as_f64()
                .map_or("-".to_owned(), |s| format!("{s:.1}"))
        );
    };
    row("hall".into(), &resp.body["total"]);
    for s in resp.body["services"].as_array().into_iter().flatten() {
        row(
            format!("service {}", s["service"].as_str().unwrap_or("")),
            s,
        );
    }
    for c in resp.body["counters"].as_array().into_iter().flatten() {
        row(
            format!("counter {}", c["counter"].as_str().unwrap_or("")),
            c,
        );
    }
    for c in resp.body["staff"].as_array().into_iter().flatten() {
        row(format!("staff {}", c["staff"].as_str().unwrap_or("")), c);
    }
    let a = &resp.body["appointments"]["total"];
    if a["booked"].as_u64().is_some_and(|n| n > 0) {
        println!(
            "appointments: {} booked, {} checked in, {} late, {} missed, {} still to come",
            a["booked"], a["checked_in"], a["late"], a["missed"], a["pending"]
        );
    }
    Ok(())
}

fn db_check(db: &Path) -> Result<(), Failure> {
    if !db.exists() {
        return Err(anyhow::anyhow!("there is no database at {}", db.display()).into());
    }
    let store = Store::open_read_only(db).map_err(anyhow::Error::from)?;
    let report = store.check().map_err(anyhow::Error::from)?;
    println!(
        "{}: schema v{}, {} events, {} tickets over {} day(s)",
        db.display(),
        report.schema_version,
        report.events,
        report.tickets,
        report.days
    );
    if report.is_ok() {
        println!("ok: integrity, event sequence and numbering all check out");
        Ok(())
    } else {
        for p in &report.problems {
            println!("problem: {p}");
        }
        Err(Failure {
            code: 5,
            error: anyhow::anyhow!("{} problem(s) found", report.problems.len()),
        })
    }
}

/// A sample ticket of `hall`: its first service, a few ahead.
fn sample_ticket(hall: &qcall_core::Hall) -> qcall_engine::TicketView {
    let day = qcall_core::time::business_day(now_ms(), &hall.tz);
    // A sample is taken at any hour, whatever the hall's hours say.
    let hall = hall
        .clone()
        .with_schedule(qcall_core::hours::Schedule::always(), false);
    let mut state = qcall_core::HallState::new(Arc::new(hall.clone()), day, 0, 1);
    let service = hall.services[0].code.clone();
    let cmd = qcall_core::Command::Issue {
        service,
        class: None,
        source: None,
    };
    let mut view = None;
    for _ in 0..12 {
        let d = state
            .decide(&cmd, now_ms())
            .expect("a sample ticket of a valid hall");
        let rec = qcall_core::Recorded {
            seq: state.last_seq() + 1,
            at: now_ms(),
            event: d.events[0].clone(),
        };
        state.apply(&rec).expect("decided events apply");
        view = d.subject;
    }
    let mut v = qcall_engine::TicketView::of(&state, view.expect("issued")).expect("issued");
    v.estimated_wait_s = 15 * 60;
    v
}

fn paper(width: u32) -> anyhow::Result<qcall_printer::PaperWidth> {
    qcall_printer::PaperWidth::from_mm(width)
        .with_context(|| format!("--width {width}: use 58 or 80"))
}

async fn preview(
    server: &ServerArg,
    id: Option<String>,
    config: Option<PathBuf>,
    width: u32,
) -> Result<(), Failure> {
    let width = paper(width)?;
    let (hall, hotline, view, url) = match id {
        None => {
            let config = match config {
                Some(path) => Config::load(&path)?,
                None => Config::parse(EXAMPLE)?,
            };
            let hall = config.hall()?;
            let view = sample_ticket(&hall);
            let url = format!("http://{}/t/{}", config.server.listen, view.ticket.id);
            (hall, config.hall.hotline.clone(), view, url)
        }
        Some(id) => {
            // The server's own view of the ticket, laid out with the same
            // code the daemon prints with.
            let mut conn = Conn::connect(&server.server).await.map_err(unreachable)?;
            let resp = conn
                .get(&format!("/api/v1/tickets/{id}"))
                .await
                .map_err(unreachable)?;
            if !resp.status.is_success() {
                return Err(refused(&resp));
            }
            let t = &resp.body["ticket"];
            let services = conn
                .get("/api/v1/services")
                .await
                .map_err(unreachable)?
                .body;
            let service = services["services"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["service"] == t["service"] || s["code"] == t["service"]);
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            let slip = qcall_printer::TicketSlip {
                hall_zh: text(&services["hall"]["zh"]),
                hall_en: text(&services["hall"]["en"]),
                number: text(&t["number"]),
                service_zh: text(&t["service_name"]["zh"]),
                service_en: text(&t["service_name"]["en"]),
                priority_label: t["green"]
                    .as_bool()
                    .filter(|g| *g)
                    .map(|_| format!("绿色通道 {}", text(&t["priority"]))),
                ahead: t["ahead"].as_u64().unwrap_or(0) as u32,
                wait_minutes: t["estimated_wait_s"].as_u64().unwrap_or(0).div_ceil(60) as u32,
                issued_at: text(&t["issued_at"])
                    .replace('T', " ")
                    .chars()
                    .take(16)
                    .collect(),
                status_url: text(&t["status_url"]),
                materials: service
                    .and_then(|s| s["materials"].as_array())
                    .into_iter()
                    .flatten()
                    .take(4)
                    .map(|m| text(&m["zh"]))
                    .collect(),
                hotline: text(&services["hotline"]),
                reprint: false,
            };
            println!(
                "{}",
                qcall_printer::preview(&qcall_printer::ticket_doc(&slip, width))
            );
            return Ok(());
        }
    };
    let slip = crate::printing::ticket_slip(&hall, &hotline, &view, &url, false, 4);
    println!(
        "{}",
        qcall_printer::preview(&qcall_printer::ticket_doc(&slip, width))
    );
    Ok(())
}

async fn print_test(args: PrintTestArgs) -> Result<(), Failure> {
    let config = Config::load(&args.config)?;
    let hall = config.hall()?;
    let mut targets = config.printer_settings()?;
    if let Some(p) = &args.printer {
        targets.retain(|s| &s.id == p);
        if targets.is_empty() {
            let uri: qcall_printer::PrinterUri = p.parse().map_err(anyhow::Error::from)?;
            targets.push(qcall_printer::PrinterSettings {
                id: p.clone(),
                status_query: uri.two_way(),
                uri,
                width: paper(args.width)?,
                qr: qcall_printer::QrMode::Native,
                timeout: std::time::Duration::from_secs(3),
            });
        }
    }
    if targets.is_empty() {
        return Err(anyhow::anyhow!(
            "{} configures no [[printers]]; pass --printer URI",
            args.config.display()
        )
        .into());
    }
    let view = sample_ticket(&hall);
    let mut failures = 0;
    for s in targets {
        let url = format!("http://{}/t/{}", config.server.listen, view.ticket.id);
        let slip = crate::printing::ticket_slip(
            &hall,
            &config.hall.hotline,
            &view,
            &url,
            false,
            config.print.materials_on_ticket,
        );
        let bytes = qcall_printer::encode(&qcall_printer::ticket_doc(&slip, s.width), s.qr)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let job = tokio::task::spawn_blocking(move || {
            let r = qcall_printer::transport::print_job(&s.uri, &bytes, s.timeout, s.status_query);
            (s, r)
        });
        let (s, result) = job.await.map_err(anyhow::Error::from)?;
        match result {
            Ok(status) => {
                let paper = status.map_or("status not asked", |st| match st.paper {
                    qcall_printer::status::Paper::Ok => "paper ok",
                    qcall_printer::status::Paper::NearEnd => "paper nearly out",
                    qcall_printer::status::Paper::Out => "paper out",
                });
                println!("{}: printed a sample ticket on {} ({paper})", s.id, s.uri);
            }
            Err(e) => {
                failures += 1;
                println!("{}: FAILED: {e}", s.id);
            }
        }
    }
    if failures > 0 {
        return Err(Failure {
            code: 4,
            error: anyhow::anyhow!("{failures} printer(s) did not print"),
        });
    }
    Ok(())
}

/// The stats JSON as CSV: one row for the hall, each service and each counter.
fn stats_csv(body: &Value) -> String {
    let columns = [
        ("issued", "/issued"),
        ("served", "/served"),
        ("no_show", "/no_show"),
        ("cancelled", "/cancelled"),
        ("open", "/open"),
        ("wait_p50_s", "/wait_s/p50"),
        ("wait_p90_s", "/wait_s/p90"),
        ("wait_max_s", "/wait_s/max"),
        ("service_p50_s", "/service_time_s/p50"),
        ("service_p90_s", "/service_time_s/p90"),
        ("satisfaction", "/satisfaction"),
        ("ratings", "/ratings"),
        ("over_yellow", "/over_target/yellow"),
        ("over_red", "/over_target/red"),
        ("extended", "/extended"),
        ("estimate_error_s", "/estimate_error_s"),
    ];
    let mut out = String::from("date,scope,id");
    for (name, _) in &columns {
        out.push(',');
        out.push_str(name);
    }
    out.push('\n');
    let date = body["date"].as_str().unwrap_or("");
    let mut row = |scope: &str, id: &str, g: &Value| {
        out.push_str(&format!("{date},{scope},{id}"));
        for (_, pointer) in &columns {
            let v = g
                .pointer(pointer)
                .filter(|v| !v.is_null())
                .map_or(String::new(), Value::to_string);
            out.push(',');
            out.push_str(&v);
        }
        out.push('\n');
    };
    row("hall", "", &body["total"]);
    for s in body["services"].as_array().into_iter().flatten() {
        row("service", s["service"].as_str().unwrap_or(""), s);
    }
    for c in body["counters"].as_array().into_iter().flatten() {
        row("counter", c["counter"].as_str().unwrap_or(""), c);
    }
    for c in body["staff"].as_array().into_iter().flatten() {
        row("staff", c["staff"].as_str().unwrap_or(""), c);
    }
    out
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
    fn stats_as_csv() {
        let body = json!({
            "date": "2026-11-22",
            "total": {"issued": 3, "wait_s": {"p50": 60, "p90": null}},
            "services": [{"service": "A", "issued": 3, "satisfaction": 4.5}],
            "counters": [{"counter": "1", "served": 2}],
        });
        let csv = stats_csv(&body);
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[0].starts_with("date,scope,id,issued,served,no_show"));
        assert!(
            lines[1].starts_with("2026-11-22,hall,,3,,,,,60,,"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("2026-11-22,service,A,3,"),
            "{}",
            lines[2]
        );
        assert!(lines[2].contains(",4.5,"), "{}", lines[2]);
        assert_eq!(lines.len(), 4);
    }
}
