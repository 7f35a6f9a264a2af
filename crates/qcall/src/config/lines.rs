//! Where in a config file an error is: its line, from the TOML parser's
//! span or, for a value the hall refuses, from the `[section] key` the
//! message names. One home for `FILE:LINE: what is wrong`, so `qcall
//! config check`, `qcall serve` (every command that loads a config) and a
//! live reload say it the same way.
//!
//! It checks nothing itself: the checks are `Config::parse`'s.

/// `FILE:LINE: what is wrong` (or `FILE: what is wrong` when no line can
/// be told) for an error of `Config::parse(text)` on the file `name`.
pub fn located(name: &str, text: &str, e: &anyhow::Error) -> String {
    let (line, message) = explain(text, e);
    match line {
        Some(l) => format!("{name}:{l}: {message}"),
        None => format!("{name}: {message}"),
    }
}

/// The line (1-based) a config error is about, if it can be told, and the
/// message without the parser's own snippet.
pub fn explain(text: &str, e: &anyhow::Error) -> (Option<usize>, String) {
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
    use crate::config::Config;

    fn check(text: &str, line: Option<usize>, part: &str) {
        let e = Config::parse(text).expect_err(text);
        let (got, message) = explain(text, &e);
        assert_eq!(got, line, "{message}");
        assert!(message.contains(part), "{message}");
    }

    #[test]
    fn located_puts_the_file_and_line_first() {
        let e = Config::parse("[hall]\nname = = 1\n").unwrap_err();
        let text = "[hall]\nname = = 1\n";
        assert!(located("h.toml", text, &e).starts_with("h.toml:2: "));
        let e = anyhow::anyhow!("no key named here");
        assert_eq!(located("h.toml", "", &e), "h.toml: no key named here");
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
