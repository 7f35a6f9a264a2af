//! `qcall counter VERB`: a clerk's actions at a counter, through the
//! daemon's API (`POST /api/v1/counters/{id}/{action}`).
//!
//! The verbs are the core's table of counter actions
//! ([`qcall_core::command::COUNTER_ACTIONS`]): the word typed is the action's
//! name (`call` for `call-next`, the contract's word), its help line is the
//! table's, and the flags it takes are its arguments. A new action in the
//! core is a new verb here without an edit; a new kind of argument needs
//! its [`Flag`]. Whether an action is allowed is the server's call.

use clap::Args;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use hyper::StatusCode;
use qcall_core::command::{ActionSpec, CounterActionKind};
use serde_json::json;

use super::ticket::describe_ticket;
use super::{Failure, ServerArg, print_json, refused, unreachable};
use crate::client::Conn;

/// A flag that only some verbs take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flag {
    Rating,
    ToService,
    ToCounter,
    Missing,
    Note,
    Force,
    Number,
    Reason,
}

impl Flag {
    fn spelled(self) -> &'static str {
        match self {
            Flag::Rating => "--rating",
            Flag::ToService => "--to-service",
            Flag::ToCounter => "--to-counter",
            Flag::Missing => "--missing",
            Flag::Note => "--note",
            Flag::Force => "--force",
            Flag::Number => "--number",
            Flag::Reason => "--reason",
        }
    }

    /// Its field in the request body.
    fn field(self) -> &'static str {
        match self {
            Flag::Rating => "rating",
            Flag::ToService => "service",
            Flag::ToCounter => "counter",
            Flag::Missing => "missing",
            Flag::Note => "note",
            Flag::Force => "force",
            Flag::Number => "number",
            Flag::Reason => "reason",
        }
    }
}

/// The word typed after `qcall counter` for an action.
pub(super) fn word(a: &ActionSpec) -> &'static str {
    match a.kind {
        CounterActionKind::CallNext => "call",
        // `call` is call-next's word (the contract's), so not this one's.
        CounterActionKind::CallNumber => "call-number",
        _ => a.name,
    }
}

/// Every verb the command line offers: the table's actions a client may
/// ask for, in its order.
pub(super) fn verbs() -> impl Iterator<Item = &'static ActionSpec> {
    ActionSpec::for_clients()
}

/// Parses a verb by its word, its API name or an alias.
fn verb_parser() -> impl TypedValueParser<Value = &'static ActionSpec> {
    PossibleValuesParser::new(verbs().map(|a| {
        let mut value = PossibleValue::new(word(a)).help(a.help);
        if word(a) != a.name && !verbs().any(|o| word(o) == a.name) {
            value = value.alias(a.name);
        }
        a.aliases.iter().fold(value, |v, alias| v.alias(*alias))
    }))
    .map(|typed| {
        verbs()
            .find(|a| word(a) == typed)
            .or_else(|| verbs().find(|a| a.name == typed || a.aliases.contains(&typed.as_str())))
            .expect("the parser admits only words of the table")
    })
}

#[derive(Debug, Args)]
pub(super) struct CounterArgs {
    /// What to do.
    #[arg(value_parser = verb_parser())]
    verb: &'static ActionSpec,
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
    /// With suspend: a material still missing (repeat for each); printed on
    /// the one-time notice.
    #[arg(long)]
    missing: Vec<String>,
    /// With suspend: a note for the one-time notice.
    #[arg(long)]
    note: Option<String>,
    /// With close: close the last open counter of a service that still has
    /// people waiting; with call-number: call a ticket that waits for
    /// another counter (a supervisor's token; audited).
    #[arg(long)]
    force: bool,
    /// With call-number: the ticket's number, e.g. A012.
    #[arg(long)]
    number: Option<String>,
    /// With call-number: why it goes out of turn (audited). With finish
    /// and a 差评 --rating (2 or 1), required: why the applicant is
    /// dissatisfied (it opens an item to put it right).
    #[arg(long)]
    reason: Option<String>,
}

impl CounterArgs {
    /// The request body, from the flags given; a flag the verb does not
    /// take is a usage error rather than silently dropped.
    fn body(&self) -> Result<serde_json::Value, Failure> {
        let given = [
            (Flag::Rating, self.rating.map(|r| json!(r))),
            (Flag::ToService, self.to_service.as_ref().map(|s| json!(s))),
            (Flag::ToCounter, self.to_counter.as_ref().map(|c| json!(c))),
            (
                Flag::Missing,
                (!self.missing.is_empty()).then(|| json!(self.missing)),
            ),
            (Flag::Note, self.note.as_ref().map(|n| json!(n))),
            (Flag::Force, self.force.then_some(json!(true))),
            (Flag::Number, self.number.as_ref().map(|n| json!(n))),
            (Flag::Reason, self.reason.as_ref().map(|r| json!(r))),
        ];
        let mut body = json!({});
        for (flag, value) in given {
            let Some(value) = value else { continue };
            if self.verb.arg(flag.field()).is_none() {
                return Err(Failure {
                    code: 2,
                    error: anyhow::anyhow!(
                        "{} does not go with `counter {}`",
                        flag.spelled(),
                        word(self.verb)
                    ),
                });
            }
            body[flag.field()] = value;
        }
        Ok(body)
    }
}

pub(super) async fn counter(args: CounterArgs) -> Result<(), Failure> {
    let body = args.body()?;
    let mut conn = Conn::connect(&args.server.server)
        .await
        .map_err(unreachable)?;
    let path = format!("/api/v1/counters/{}/{}", args.counter, args.verb.name);
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
        return Ok(());
    }
    if resp.body["ticket"].is_object() {
        println!("{}", describe_ticket(&resp.body["ticket"]));
    } else {
        println!(
            "counter {} is now {}",
            args.counter,
            resp.body["counter_state"].as_str().unwrap_or("?")
        );
    }
    let notice = &resp.body["notice_print"];
    match notice["status"].as_str() {
        Some("printed") => println!("  the one-time notice is printed"),
        Some("failed") => println!(
            "  the one-time notice is NOT printed: {}",
            notice["reason"].as_str().unwrap_or("?")
        ),
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_argument_of_every_action_has_a_flag() {
        let flags = [
            Flag::Rating,
            Flag::ToService,
            Flag::ToCounter,
            Flag::Missing,
            Flag::Note,
            Flag::Force,
            Flag::Number,
            Flag::Reason,
        ];
        for a in verbs() {
            for arg in a.args {
                assert!(
                    flags.iter().any(|f| f.field() == arg.name),
                    "`{}` of `{}` has no flag on the command line",
                    arg.name,
                    a.name
                );
            }
        }
    }

    #[test]
    fn every_verb_has_its_own_word() {
        let words: Vec<&str> = verbs().map(word).collect();
        for (i, w) in words.iter().enumerate() {
            assert!(!words[i + 1..].contains(w), "`{w}` twice");
        }
    }
}
