//! `qcall status` and `qcall stats`: the hall's queues now, and a day's
//! figures, read from a running daemon over HTTP.
//!
//! Both only format what the server computed (as a table, JSON or CSV); no
//! figure is worked out here.

use clap::Args;
use serde_json::Value;

use super::{Failure, ServerArg, print_json, refused, unreachable};
use crate::client::Conn;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(super) enum StatsFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub(super) struct StatsArgs {
    #[command(flatten)]
    server: ServerArg,
    /// Business day, YYYY-MM-DD (default: today).
    #[arg(long)]
    date: Option<String>,
    /// Output: a table for people, JSON, or CSV (one row per hall, service and counter).
    #[arg(long, value_enum, default_value = "table")]
    format: StatsFormat,
    /// A supervisor's token: adds the figures per clerk.
    #[arg(long, env = "QCALL_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

pub(super) async fn status(server: ServerArg) -> Result<(), Failure> {
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

pub(super) async fn stats(args: StatsArgs) -> Result<(), Failure> {
    let mut conn = Conn::connect(&args.server.server)
        .await
        .map_err(unreachable)?;
    let path = match &args.date {
        Some(d) => format!("/api/v1/stats?date={d}"),
        None => "/api/v1/stats".to_owned(),
    };
    let resp = conn
        .send(hyper::Method::GET, &path, args.token.as_deref(), None)
        .await
        .map_err(unreachable)?;
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
    let r = &resp.body["ratings"]["total"];
    if r["rated"].as_u64().is_some_and(|n| n > 0) {
        let pct = |v: &Value| {
            v.as_f64()
                .map_or("-".to_owned(), |x| format!("{:.0}%", x * 100.0))
        };
        println!(
            "ratings: {} given, {} good (好评率), {} poor (差评率); of the 差评 {} called back (回访率), {} put right in time (整改率)",
            r["rated"],
            pct(&r["good_rate"]),
            pct(&r["poor_rate"]),
            pct(&r["callback_rate"]),
            pct(&r["rectified_rate"])
        );
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

/// The stats JSON as CSV: one row for the hall, each service, counter and
/// clerk, with their 好差评 rates (好评率, 差评率, 回访率, 整改率) at the
/// end, then one row per rating indicator (only the rating columns).
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
        ("estimate_bias", "/estimate_bias"),
        ("estimate_range_coverage", "/estimate_range_coverage"),
    ];
    let rating_columns = [
        ("rated", "/rated"),
        ("good_rate", "/good_rate"),
        ("poor_rate", "/poor_rate"),
        ("callback_rate", "/callback_rate"),
        ("rectified_rate", "/rectified_rate"),
    ];
    let mut out = String::from("date,scope,id");
    for (name, _) in columns.iter().chain(&rating_columns) {
        out.push(',');
        out.push_str(name);
    }
    out.push('\n');
    let date = body["date"].as_str().unwrap_or("");
    let ratings = &body["ratings"];
    // The ratings group of the same scope and id, if any.
    let rated = |list: &str, key: &str, id: &str| {
        ratings[list]
            .as_array()
            .and_then(|l| l.iter().find(|g| g[key] == id))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let mut row = |scope: &str, id: &str, g: &Value, r: &Value| {
        out.push_str(&format!("{date},{scope},{id}"));
        let cells = columns
            .iter()
            .map(|(_, p)| g.pointer(p))
            .chain(rating_columns.iter().map(|(_, p)| r.pointer(p)));
        for v in cells {
            let v = v
                .filter(|v| !v.is_null())
                .map_or(String::new(), Value::to_string);
            out.push(',');
            out.push_str(&v);
        }
        out.push('\n');
    };
    row("hall", "", &body["total"], &ratings["total"]);
    for (list, key) in [
        ("services", "service"),
        ("counters", "counter"),
        ("staff", "staff"),
    ] {
        for g in body[list].as_array().into_iter().flatten() {
            let id = g[key].as_str().unwrap_or("");
            row(key, id, g, &rated(list, key, id));
        }
    }
    for r in ratings["indicators"].as_array().into_iter().flatten() {
        row(
            "indicator",
            r["indicator"].as_str().unwrap_or(""),
            &Value::Null,
            r,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn stats_as_csv() {
        let body = json!({
            "date": "2026-11-22",
            "total": {"issued": 3, "wait_s": {"p50": 60, "p90": null}},
            "services": [{"service": "A", "issued": 3, "satisfaction": 4.5}],
            "counters": [{"counter": "1", "served": 2}],
            "ratings": {
                "total": {"rated": 4, "good_rate": 0.5, "poor_rate": 0.25, "callback_rate": 1.0, "rectified_rate": 0.0},
                "services": [{"service": "A", "rated": 4, "good_rate": 0.5}],
                "indicators": [{"indicator": "attitude", "rated": 2, "poor_rate": 0.5}],
            },
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
        assert!(
            lines[0].ends_with(",rated,good_rate,poor_rate,callback_rate,rectified_rate"),
            "{}",
            lines[0]
        );
        assert!(lines[1].ends_with(",4,0.5,0.25,1.0,0.0"), "{}", lines[1]);
        assert!(lines[2].ends_with(",4,0.5,,,"), "{}", lines[2]);
        assert!(
            lines[3].ends_with(",,,,,"),
            "no ratings at counter 1: {}",
            lines[3]
        );
        // An indicator's row is empty up to the rating columns, however
        // many figures come before them.
        let rated = lines[0].split(',').position(|c| c == "rated").unwrap();
        assert_eq!(
            lines[4],
            format!(
                "2026-11-22,indicator,attitude{}2,,0.5,,",
                ",".repeat(rated - 2)
            )
        );
        assert_eq!(lines.len(), 5);
    }
}
