//! 好差评 (GB/T 39735-2020): the five levels, the hall's versioned set of
//! indicators, the reasons offered for a 差评, the channels a rating comes
//! through, and what a rating must carry to be accepted.
//!
//! Plain values and one check ([`RatingRules::check`]); recording a rating
//! is `state`'s job, and what the province's platform receives is the
//! binary's. Nothing here knows who rated: a rating never carries the
//! applicant's name or phone number.

use crate::command::Rejection;
use crate::hall::Text;

/// The levels, best first: (score, 中文, English). The bottom two are 差评.
pub const LEVELS: [(u8, &str, &str); 5] = [
    (5, "非常满意", "Very satisfied"),
    (4, "满意", "Satisfied"),
    (3, "基本满意", "Fairly satisfied"),
    (2, "不满意", "Dissatisfied"),
    (1, "非常不满意", "Very dissatisfied"),
];

/// Whether a score is a 差评 (不满意 or 非常不满意): it needs a reason, and
/// it is put right and called back.
pub fn is_poor(score: u8) -> bool {
    score <= 2
}

/// Whether a score is a 好评 (满意 or better).
pub fn is_good(score: u8) -> bool {
    score >= 4
}

/// Longest reason or free text a rating may carry, in characters.
pub const MAX_REASON_CHARS: usize = 200;
/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 500;

/// Where a rating came from. Each has the code the provincial platform uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The pad (评价器) facing the applicant at the counter.
    Pad,
    /// The ticket's own page, reached from the QR code on the slip.
    Qr,
    /// The link in a text message.
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Pad, Channel::Qr, Channel::Sms];

    /// The name in qcall's API and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Pad => "pad",
            Channel::Qr => "qr",
            Channel::Sms => "sms",
        }
    }

    /// The 好差评 platform's channel code: 评价器 = PJQ, 二维码 = EWM,
    /// 短信 = DX.
    pub fn platform_code(self) -> &'static str {
        match self {
            Channel::Pad => "PJQ",
            Channel::Qr => "EWM",
            Channel::Sms => "DX",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One indicator rated alongside the overall level (服务效率, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    /// Stable code: what a record and the platform name it by.
    pub code: String,
    pub name: Text,
}

/// How a hall takes ratings (`[rating]` in its config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingRules {
    /// The indicator set, in the order the pad asks for them.
    pub indicators: Vec<Indicator>,
    /// The set's version: every rating keeps the version it was given
    /// under, so a changed set never re-labels old records.
    pub indicator_version: u32,
    /// Reasons offered for a 差评 (free text is accepted too).
    pub reasons: Vec<Text>,
    /// Working days, on the hall's calendar, to put a 差评 right.
    pub fix_working_days: u32,
    /// Text a finished ticket with a phone on file its rating link
    /// (the DX channel).
    pub sms_link: bool,
}

impl Default for RatingRules {
    /// The offline set of GB/T 39735-2020, version 1.
    fn default() -> Self {
        let ind = |code: &str, zh: &str, en: &str| Indicator {
            code: code.into(),
            name: Text::new(zh, en),
        };
        RatingRules {
            indicators: vec![
                ind("overall", "整体满意度", "Overall satisfaction"),
                ind("efficiency", "服务效率", "Efficiency"),
                ind("competence", "服务水平", "Competence"),
                ind("attitude", "服务态度", "Attitude"),
            ],
            indicator_version: 1,
            reasons: vec![
                Text::new("等候时间太长", "Waited too long"),
                Text::new("办理效率低", "Slow service"),
                Text::new("服务态度差", "Unfriendly staff"),
                Text::new("一次性告知不清楚", "Requirements not explained at once"),
                Text::new("要求提供不必要的材料", "Asked for unnecessary documents"),
            ],
            fix_working_days: 5,
            sms_link: false,
        }
    }
}

/// What an applicant gives: the overall level, the indicators they rated,
/// a reason (needed for a 差评) and a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingInput {
    pub score: u8,
    /// (indicator code, score), in the set's order once checked.
    pub indicators: Vec<(String, u8)>,
    pub reason: Option<String>,
    pub comment: Option<String>,
    pub channel: Channel,
}

impl RatingRules {
    /// Refuses a rating the rules do not accept; `Ok` with the input put
    /// in order (indicators in the set's order, blank texts dropped).
    pub fn check(&self, mut input: RatingInput) -> Result<RatingInput, Rejection> {
        if !(1..=5).contains(&input.score) {
            return Err(Rejection::BadRating(input.score));
        }
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
        if blank(&input.reason) {
            input.reason = None;
        }
        if blank(&input.comment) {
            input.comment = None;
        }
        let printable = |s: &str, max: usize| {
            s.chars().count() <= max && !s.chars().any(|ch| ch.is_control() && ch != '\n')
        };
        if let Some(c) = &input.comment
            && !printable(c, MAX_COMMENT_CHARS)
        {
            return Err(Rejection::BadInput(format!(
                "a comment is at most {MAX_COMMENT_CHARS} printable characters"
            )));
        }
        if let Some(r) = &mut input.reason {
            *r = r.trim().to_owned();
            if !printable(r, MAX_REASON_CHARS) || r.contains('\n') {
                return Err(Rejection::BadInput(format!(
                    "a reason is one line of at most {MAX_REASON_CHARS} printable characters"
                )));
            }
        }
        if is_poor(input.score) && input.reason.is_none() {
            return Err(Rejection::ReasonRequired {
                score: input.score,
                reasons: self
                    .reasons
                    .iter()
                    .map(|r| r.zh.clone())
                    .collect::<Vec<_>>()
                    .join("、"),
            });
        }
        let mut ordered = Vec::with_capacity(input.indicators.len());
        for (code, score) in &input.indicators {
            if !self.indicators.iter().any(|i| &i.code == code) {
                return Err(Rejection::UnknownIndicator {
                    code: code.clone(),
                    known: self
                        .indicators
                        .iter()
                        .map(|i| i.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            if !(1..=5).contains(score) {
                return Err(Rejection::BadRating(*score));
            }
        }
        for ind in &self.indicators {
            let given: Vec<u8> = input
                .indicators
                .iter()
                .filter(|(c, _)| *c == ind.code)
                .map(|(_, s)| *s)
                .collect();
            if given.len() > 1 {
                return Err(Rejection::BadInput(format!(
                    "indicator `{}` is rated twice; rate each indicator once",
                    ind.code
                )));
            }
            if let Some(s) = given.first() {
                ordered.push((ind.code.clone(), *s));
            }
        }
        input.indicators = ordered;
        Ok(input)
    }

    /// The indicator with this code, in the current set.
    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.code == code)
    }
}

/// A level's name, for screens and the platform.
pub fn level_name(score: u8) -> Option<Text> {
    LEVELS
        .iter()
        .find(|(s, _, _)| *s == score)
        .map(|(_, zh, en)| Text::new(*zh, *en))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(score: u8, indicators: &[(&str, u8)], reason: Option<&str>) -> RatingInput {
        RatingInput {
            score,
            indicators: indicators
                .iter()
                .map(|(c, s)| ((*c).to_owned(), *s))
                .collect(),
            reason: reason.map(str::to_owned),
            comment: None,
            channel: Channel::Pad,
        }
    }

    /// What a check should give: the indicators in order and the reason.
    type Accepted<'a> = (&'a [(&'a str, u8)], Option<&'a str>);

    /// `Ok(indicators in order, reason)` or a word of the refusal.
    fn check(i: RatingInput, expect: Result<Accepted<'_>, &str>) {
        let rules = RatingRules::default();
        let got = rules.check(i.clone());
        match (got, expect) {
            (Ok(out), Ok((inds, reason))) => {
                let inds: Vec<(String, u8)> =
                    inds.iter().map(|(c, s)| ((*c).to_owned(), *s)).collect();
                assert_eq!(out.indicators, inds, "{i:?}");
                assert_eq!(out.reason.as_deref(), reason, "{i:?}");
            }
            (Err(e), Err(word)) => {
                let text = e.to_string();
                assert!(text.contains(word), "{i:?}: {word:?} not in {text:?}");
            }
            (got, expect) => panic!("{i:?}: got {got:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn what_a_rating_must_carry() {
        check(input(5, &[], None), Ok((&[], None)));
        check(input(3, &[], None), Ok((&[], None)));
        // A 差评 needs a reason, picked or typed; blank is none.
        check(input(2, &[], None), Err("needs a reason"));
        check(input(1, &[], Some("   ")), Err("needs a reason"));
        check(
            input(1, &[], Some(" 等候时间太长 ")),
            Ok((&[], Some("等候时间太长"))),
        );
        check(input(2, &[], Some("窗口没人")), Ok((&[], Some("窗口没人"))));
        check(input(2, &[], Some("two\nlines")), Err("one line"));
        check(input(0, &[], None), Err("not 0"));
        check(input(6, &[], None), Err("not 6"));
        // Indicators come back in the set's order; unknown or out of range
        // ones are refused.
        check(
            input(4, &[("attitude", 5), ("overall", 4)], None),
            Ok((&[("overall", 4), ("attitude", 5)], None)),
        );
        check(input(4, &[("speed", 5)], None), Err("no indicator `speed`"));
        check(input(4, &[("overall", 9)], None), Err("not 9"));
        check(
            input(4, &[("overall", 4), ("overall", 5)], None),
            Err("rated twice"),
        );
    }

    #[test]
    fn levels_and_channels() {
        assert!(is_poor(1) && is_poor(2) && !is_poor(3));
        assert!(is_good(4) && is_good(5) && !is_good(3));
        assert_eq!(level_name(3).unwrap().zh, "基本满意");
        assert_eq!(level_name(0), None);
        assert_eq!(Channel::Pad.platform_code(), "PJQ");
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
    }
}
