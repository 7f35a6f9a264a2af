//! `qcall counter VERB`: a clerk's actions at a counter, through the
//! daemon's API (`POST /api/v1/counters/{id}/{action}`).
//!
//! [`VERBS`] is the one list of what the command line offers: the word typed,
//! the API action it sends, its help line and the flags it takes. Parsing,
//! `--help` and the request body all come from it, so a new action is one
//! row here (and, once the core has one table of counter actions, this list
//! can be made from it). Whether an action is allowed is the server's call.

use clap::Args;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use hyper::StatusCode;
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
        }
    }
}

/// One counter action as the command line offers it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Verb {
    /// The word after `qcall counter`.
    pub name: &'static str,
    /// The action in the API path; also accepted on the command line.
    pub action: &'static str,
    /// Its line in `qcall counter --help`.
    pub help: &'static str,
    /// The flags it takes besides --counter and --token.
    pub takes: &'static [Flag],
}

/// Every counter action the command line offers, in the order `--help`
/// lists them.
pub(super) const VERBS: &[Verb] = &[
    Verb {
        name: "call",
        action: "call-next",
        help: "Finish the current ticket (if any) and call the next one",
        takes: &[],
    },
    Verb {
        name: "recall",
        action: "recall",
        help: "Call the current ticket again; past the recall limit it is a no-show",
        takes: &[],
    },
    Verb {
        name: "no-show",
        action: "no-show",
        help: "The called ticket did not come",
        takes: &[],
    },
    Verb {
        name: "requeue",
        action: "requeue",
        help: "Put the called ticket back in its queue, keeping its place",
        takes: &[],
    },
    Verb {
        name: "start",
        action: "start",
        help: "The applicant is at the counter",
        takes: &[],
    },
    Verb {
        name: "finish",
        action: "finish",
        help: "Service finished, optionally rated (--rating)",
        takes: &[Flag::Rating],
    },
    Verb {
        name: "transfer",
        action: "transfer",
        help: "Send the current ticket to another service or counter (--to-service or --to-counter)",
        takes: &[Flag::ToService, Flag::ToCounter],
    },
    Verb {
        name: "suspend",
        action: "suspend",
        help: "Set the current ticket aside until the missing materials are brought (挂起; --missing, --note); prints the one-time notice",
        takes: &[Flag::Missing, Flag::Note],
    },
    Verb {
        name: "pause",
        action: "pause",
        help: "Stop calling for a while",
        takes: &[],
    },
    Verb {
        name: "resume",
        action: "resume",
        help: "Call again after a pause",
        takes: &[],
    },
    Verb {
        name: "open",
        action: "open",
        help: "Open the counter",
        takes: &[],
    },
    Verb {
        name: "close",
        action: "close",
        help: "Close the counter (--force: a supervisor closes the last counter of a service with people waiting)",
        takes: &[Flag::Force],
    },
];

/// Parses a verb of [`VERBS`], by its word or its API action.
fn verb_parser() -> impl TypedValueParser<Value = &'static Verb> {
    PossibleValuesParser::new(VERBS.iter().map(|v| {
        let value = PossibleValue::new(v.name).help(v.help);
        if v.action == v.name {
            value
        } else {
            value.alias(v.action)
        }
    }))
    .map(|word| {
        VERBS
            .iter()
            .find(|v| v.name == word || v.action == word)
            .expect("the parser admits only words of VERBS")
    })
}

#[derive(Debug, Args)]
pub(super) struct CounterArgs {
    /// What to do.
    #[arg(value_parser = verb_parser())]
    verb: &'static Verb,
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
    /// people waiting (a supervisor's token; audited).
    #[arg(long)]
    force: bool,
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
        ];
        let mut body = json!({});
        for (flag, value) in given {
            let Some(value) = value else { continue };
            if !self.verb.takes.contains(&flag) {
                return Err(Failure {
                    code: 2,
                    error: anyhow::anyhow!(
                        "{} does not go with `counter {}`",
                        flag.spelled(),
                        self.verb.name
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
    let path = format!("/api/v1/counters/{}/{}", args.counter, args.verb.action);
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
    fn every_verb_has_its_own_word_and_action() {
        for (i, v) in VERBS.iter().enumerate() {
            for w in &VERBS[i + 1..] {
                assert!(
                    v.name != w.name
                        && v.action != w.action
                        && v.name != w.action
                        && v.action != w.name,
                    "{v:?} and {w:?} clash"
                );
            }
        }
    }
}
