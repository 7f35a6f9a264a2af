//! What the hall speakers say when a counter calls, as a list of clip ids.
//!
//! A call becomes a sentence per locale, built from recorded clips: for
//! zh-CN 「请 A012 号 到 3 号窗口 办理」, for en "Number A012, please go to
//! counter 3". The ticket number is read character by character (A012 → A 零
//! 一 二, so nobody hears "twelve" and looks for A12), the counter as a
//! number (12 → 十二, "twelve"). This module only names the clips; finding,
//! decoding and playing them is the audio crate's job, and which clips a
//! voice pack must carry is [`all_clips`].
//!
//! Clip ids are paths without extension inside a voice pack: `zh-CN/qing`,
//! `en/13`, `letter/a`, `chime`. Letters are shared by both locales: Chinese
//! halls read ticket letters the English way.

/// A language the hall speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    /// Mandarin, read as in mainland halls.
    ZhCn,
    /// English.
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// The BCP 47 tag used in config files and clip paths.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Locale> {
        Locale::ALL.into_iter().find(|l| l.tag() == s)
    }
}

/// The clip played before every announcement.
pub const CHIME: &str = "chime";

/// Not a clip: a phrase pause (after the chime, between languages), which
/// the player renders as silence longer than the gap between words.
pub const PAUSE: &str = "pause";

/// What a voice pack can say beyond the words every pack has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Voice {
    /// The pack says 「N 号窗口」 as one phrase (clip `zh-CN/window/N`) for
    /// counters 1 to this; others are read as a number and 号窗口. 0: none.
    pub window_phrases: u32,
}

/// The optional phrase clips a pack may carry for [`Voice`], up to `upto`.
pub fn phrase_clips(upto: u32) -> Vec<String> {
    (1..=upto).map(|n| format!("zh-CN/window/{n}")).collect()
}

/// 「N 号窗口」: one phrase when the voice has it, else number and 号窗口.
fn window(n: u32, locale: Locale, voice: &Voice) -> Vec<String> {
    if locale == Locale::ZhCn && (1..=voice.window_phrases).contains(&n) {
        return vec![format!("{}/window/{n}", locale.tag())];
    }
    let mut out = counter_number(n, locale);
    if locale == Locale::ZhCn {
        out.push(format!("{}/hao-chuangkou", locale.tag()));
    }
    out
}

/// What to announce: one call (or recall) of one ticket to one counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The ticket number as shown, e.g. `A012`.
    pub number: String,
    /// The counter's announced number.
    pub counter: u32,
    /// A recall: the sentence is preceded by 重呼 / "Calling again".
    pub recall: bool,
}

/// The whole announcement for `call`: the chime (if wanted), then the
/// sentence in each locale, in the order given, with a [`PAUSE`] between
/// these phrases.
pub fn announcement(call: &Call, locales: &[Locale], chime: bool, voice: &Voice) -> Vec<String> {
    let mut clips: Vec<String> = Vec::new();
    if chime {
        clips.push(CHIME.to_owned());
    }
    for &locale in locales {
        if !clips.is_empty() {
            clips.push(PAUSE.to_owned());
        }
        clips.extend(sentence(call, locale, voice));
    }
    clips
}

/// The whole announcement for `call` in parts, as the speaker says a lone
/// call: the first part is the chime (if wanted) and the first locale's
/// sentence, then one part per further locale. The speaker drops the later
/// parts when other calls are waiting.
pub fn parts(call: &Call, locales: &[Locale], chime: bool, voice: &Voice) -> Vec<Vec<String>> {
    let mut parts: Vec<Vec<String>> = locales.iter().map(|&l| sentence(call, l, voice)).collect();
    if chime {
        match parts.first_mut() {
            Some(first) => {
                first.insert(0, PAUSE.to_owned());
                first.insert(0, CHIME.to_owned());
            }
            None => parts.push(vec![CHIME.to_owned()]),
        }
    }
    parts
}

/// The short form of `call` said under backlog, between [`merge_head`] and
/// [`merge_tail`] with other calls' short forms: 「A012 号 到 3 号窗口」,
/// "number A012, counter 3" (the recall word kept).
pub fn brief(call: &Call, locale: Locale, voice: &Voice) -> Vec<String> {
    let tag = locale.tag();
    let word = |w: &str| format!("{tag}/{w}");
    let mut out = Vec::new();
    match locale {
        Locale::ZhCn => {
            if call.recall {
                out.push(word("chonghu"));
            }
            out.extend(ticket_number(&call.number, locale));
            out.push(word("hao"));
            out.push(word("dao"));
            out.extend(window(call.counter, locale, voice));
        }
        Locale::En => {
            if call.recall {
                out.push(word("calling-again"));
            }
            out.push(word("number"));
            out.extend(ticket_number(&call.number, locale));
            out.push(word("please-go-to-counter"));
            out.extend(window(call.counter, locale, voice));
        }
    }
    out
}

/// What opens a merged sentence: 请 for zh-CN. No chime: a merged sentence
/// is said only while the speaker is busy, so the hall is listening already.
pub fn merge_head(locale: Locale) -> Vec<String> {
    match locale {
        Locale::ZhCn => vec![format!("{}/qing", locale.tag())],
        Locale::En => Vec::new(),
    }
}

/// What closes a merged sentence: 办理 for zh-CN.
pub fn merge_tail(locale: Locale) -> Vec<String> {
    match locale {
        Locale::ZhCn => vec![format!("{}/banli", locale.tag())],
        Locale::En => Vec::new(),
    }
}

/// The sentence for `call` in one locale.
pub fn sentence(call: &Call, locale: Locale, voice: &Voice) -> Vec<String> {
    let tag = locale.tag();
    let word = |w: &str| format!("{tag}/{w}");
    let mut out = Vec::new();
    match locale {
        Locale::ZhCn => {
            if call.recall {
                out.push(word("chonghu"));
            }
            out.push(word("qing"));
            out.extend(ticket_number(&call.number, locale));
            out.push(word("hao"));
            out.push(word("dao"));
            out.extend(window(call.counter, locale, voice));
            out.push(word("banli"));
        }
        Locale::En => {
            if call.recall {
                out.push(word("calling-again"));
            }
            out.push(word("number"));
            out.extend(ticket_number(&call.number, locale));
            out.push(word("please-go-to-counter"));
            out.extend(window(call.counter, locale, voice));
        }
    }
    out
}

/// A ticket number read character by character: letters as letters,
/// digits one by one. Anything else (a mark, a dash) is not read.
pub fn ticket_number(number: &str, locale: Locale) -> Vec<String> {
    number
        .chars()
        .filter_map(|c| {
            if c.is_ascii_alphabetic() {
                Some(format!("letter/{}", c.to_ascii_lowercase()))
            } else {
                c.to_digit(10).map(|d| format!("{}/{d}", locale.tag()))
            }
        })
        .collect()
}

/// Largest counter number read as a number; beyond it the digits are read
/// one by one (no hall has ten thousand counters, but nothing may panic).
const MAX_SPOKEN_NUMBER: u32 = 9999;

/// A counter number read as a number: 12 → 十二 / "twelve".
pub fn counter_number(n: u32, locale: Locale) -> Vec<String> {
    let tag = locale.tag();
    if n > MAX_SPOKEN_NUMBER {
        return ticket_number(&n.to_string(), locale);
    }
    let words = match locale {
        Locale::ZhCn => zh_number(n),
        Locale::En => en_number(n),
    };
    words.into_iter().map(|w| format!("{tag}/{w}")).collect()
}

/// Mandarin reading of 0..=9999 with the units 十, 百, 千 as clip names
/// `10`, `100`, `1000`: 12 → 十二, 20 → 二十, 105 → 一百零五, 110 → 一百一十,
/// 1001 → 一千零一. 二 stays 二 (二号窗口, not 两号).
fn zh_number(n: u32) -> Vec<String> {
    if n == 0 {
        return vec!["0".into()];
    }
    let digits = [n / 1000, n / 100 % 10, n / 10 % 10, n % 10];
    let units = ["1000", "100", "10", ""];
    let mut out: Vec<String> = Vec::new();
    let mut zero_pending = false;
    for (i, (&d, unit)) in digits.iter().zip(units).enumerate() {
        if d == 0 {
            // A zero between non-zero digits is read once (一百零五).
            zero_pending = !out.is_empty();
            continue;
        }
        if zero_pending {
            out.push("0".into());
            zero_pending = false;
        }
        // 十二, not 一十二, when the tens lead the number.
        let lone_ten = i == 2 && d == 1 && out.is_empty();
        if !lone_ten {
            out.push(d.to_string());
        }
        if !unit.is_empty() {
            out.push(unit.into());
        }
    }
    out
}

/// English reading of 0..=9999 with clips `0`..`19`, the tens `20`..`90`,
/// `hundred` and `thousand`: 105 → one hundred five, 42 → forty two.
fn en_number(n: u32) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let (thousands, hundreds, rest) = (n / 1000, n / 100 % 10, n % 100);
    if thousands > 0 {
        out.push(thousands.to_string());
        out.push("thousand".into());
    }
    if hundreds > 0 {
        out.push(hundreds.to_string());
        out.push("hundred".into());
    }
    if rest >= 20 {
        out.push((rest / 10 * 10).to_string());
        if rest % 10 > 0 {
            out.push((rest % 10).to_string());
        }
    } else if rest > 0 || out.is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// Every clip id a voice pack needs to say any call in `locale` (letters
/// included), plus the chime. A pack's manifest is checked against it.
pub fn all_clips(locale: Locale) -> Vec<String> {
    let tag = locale.tag();
    let mut words: Vec<String> = match locale {
        Locale::ZhCn => ["chonghu", "qing", "hao", "dao", "hao-chuangkou", "banli"]
            .iter()
            .map(|w| w.to_string())
            .chain((0..=9).map(|d| d.to_string()))
            .chain(["10", "100", "1000"].map(String::from))
            .collect(),
        Locale::En => ["calling-again", "number", "please-go-to-counter"]
            .iter()
            .map(|w| w.to_string())
            .chain((0..=19).map(|d| d.to_string()))
            .chain((2..=9).map(|t| (t * 10).to_string()))
            .chain(["hundred", "thousand"].map(String::from))
            .collect(),
    };
    let mut out: Vec<String> = words.drain(..).map(|w| format!("{tag}/{w}")).collect();
    out.extend(('a'..='z').map(|c| format!("letter/{c}")));
    out.push(CHIME.to_owned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clip ids without their locale prefix, space-separated, for compact tables.
    fn short(clips: &[String]) -> String {
        clips
            .iter()
            .map(|c| c.rsplit('/').next().unwrap_or(c))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn ticket_numbers_are_read_digit_by_digit() {
        let check = |number: &str, locale: Locale, expect: &str| {
            assert_eq!(short(&ticket_number(number, locale)), expect, "{number}");
        };
        check("A012", Locale::ZhCn, "a 0 1 2");
        check("A012", Locale::En, "a 0 1 2");
        check("LA100", Locale::ZhCn, "l a 1 0 0");
        check("b7", Locale::En, "b 7");
        check("A-0012", Locale::ZhCn, "a 0 0 1 2");
        check("", Locale::En, "");
        // Locale decides the digit clips, letters are shared.
        assert_eq!(ticket_number("A1", Locale::ZhCn), ["letter/a", "zh-CN/1"]);
        assert_eq!(ticket_number("A1", Locale::En), ["letter/a", "en/1"]);
    }

    #[test]
    fn counters_are_read_as_numbers() {
        let check = |n: u32, locale: Locale, expect: &str| {
            assert_eq!(short(&counter_number(n, locale)), expect, "{n} {locale:?}");
        };
        // zh-CN: 10 is 十, 100 is 百, 1000 is 千.
        check(0, Locale::ZhCn, "0");
        check(3, Locale::ZhCn, "3");
        check(10, Locale::ZhCn, "10");
        check(12, Locale::ZhCn, "10 2");
        check(20, Locale::ZhCn, "2 10");
        check(99, Locale::ZhCn, "9 10 9");
        check(100, Locale::ZhCn, "1 100");
        check(105, Locale::ZhCn, "1 100 0 5");
        check(110, Locale::ZhCn, "1 100 1 10");
        check(215, Locale::ZhCn, "2 100 1 10 5");
        check(1001, Locale::ZhCn, "1 1000 0 1");
        check(1010, Locale::ZhCn, "1 1000 0 1 10");
        check(2300, Locale::ZhCn, "2 1000 3 100");
        check(9999, Locale::ZhCn, "9 1000 9 100 9 10 9");
        check(10000, Locale::ZhCn, "1 0 0 0 0");
        // en
        check(0, Locale::En, "0");
        check(3, Locale::En, "3");
        check(12, Locale::En, "12");
        check(19, Locale::En, "19");
        check(20, Locale::En, "20");
        check(42, Locale::En, "40 2");
        check(100, Locale::En, "1 hundred");
        check(105, Locale::En, "1 hundred 5");
        check(1230, Locale::En, "1 thousand 2 hundred 30");
        check(12345, Locale::En, "1 2 3 4 5");
    }

    #[test]
    fn sentences() {
        let check = |number: &str, counter: u32, recall: bool, locale: Locale, expect: &str| {
            let call = Call {
                number: number.into(),
                counter,
                recall,
            };
            assert_eq!(short(&sentence(&call, locale, &Voice::default())), expect);
        };
        check(
            "A012",
            3,
            false,
            Locale::ZhCn,
            "qing a 0 1 2 hao dao 3 hao-chuangkou banli",
        );
        check(
            "A012",
            12,
            true,
            Locale::ZhCn,
            "chonghu qing a 0 1 2 hao dao 10 2 hao-chuangkou banli",
        );
        check(
            "A012",
            3,
            false,
            Locale::En,
            "number a 0 1 2 please-go-to-counter 3",
        );
        check(
            "B100",
            21,
            true,
            Locale::En,
            "calling-again number b 1 0 0 please-go-to-counter 20 1",
        );
    }

    #[test]
    fn an_announcement_is_chime_then_each_locale_in_order() {
        let call = Call {
            number: "A1".into(),
            counter: 2,
            recall: false,
        };
        assert_eq!(
            announcement(&call, &[Locale::ZhCn, Locale::En], true, &Voice::default()),
            [
                "chime",
                "pause",
                "zh-CN/qing",
                "letter/a",
                "zh-CN/1",
                "zh-CN/hao",
                "zh-CN/dao",
                "zh-CN/2",
                "zh-CN/hao-chuangkou",
                "zh-CN/banli",
                "pause",
                "en/number",
                "letter/a",
                "en/1",
                "en/please-go-to-counter",
                "en/2",
            ]
        );
        assert_eq!(
            announcement(&call, &[Locale::En], false, &Voice::default())[0],
            "en/number",
            "no chime"
        );
    }

    #[test]
    fn parts_brief_forms_and_merged_sentences() {
        let call = Call {
            number: "A12".into(),
            counter: 3,
            recall: false,
        };
        let both = [Locale::ZhCn, Locale::En];
        let v = Voice::default();
        let parts = parts(&call, &both, true, &v);
        assert_eq!(parts.len(), 2);
        assert_eq!(
            short(&parts[0]),
            "chime pause qing a 1 2 hao dao 3 hao-chuangkou banli"
        );
        assert_eq!(short(&parts[1]), "number a 1 2 please-go-to-counter 3");
        // Joined with a pause, the parts are the announcement.
        let joined: Vec<String> = parts.join(&PAUSE.to_owned());
        assert_eq!(joined, announcement(&call, &both, true, &v));
        assert_eq!(super::parts(&call, &[], true, &v), [vec![CHIME.to_owned()]]);
        assert_eq!(
            short(&brief(&call, Locale::ZhCn, &v)),
            "a 1 2 hao dao 3 hao-chuangkou"
        );
        let recall = Call {
            recall: true,
            ..call.clone()
        };
        assert_eq!(
            short(&brief(&recall, Locale::En, &v)),
            "calling-again number a 1 2 please-go-to-counter 3"
        );
        assert_eq!(short(&merge_head(Locale::ZhCn)), "qing");
        assert_eq!(short(&merge_head(Locale::En)), "");
        assert_eq!(short(&merge_tail(Locale::ZhCn)), "banli");
        assert!(merge_tail(Locale::En).is_empty());
    }

    #[test]
    fn a_voice_with_window_phrases_says_them_as_one_clip() {
        let voice = Voice { window_phrases: 20 };
        let call = |counter| Call {
            number: "A012".into(),
            counter,
            recall: false,
        };
        let zh = |c| short(&sentence(&call(c), Locale::ZhCn, &voice));
        assert_eq!(zh(3), "qing a 0 1 2 hao dao 3 banli");
        assert_eq!(
            sentence(&call(3), Locale::ZhCn, &voice)[7],
            "zh-CN/window/3"
        );
        assert_eq!(zh(20), "qing a 0 1 2 hao dao 20 banli");
        assert_eq!(zh(21), "qing a 0 1 2 hao dao 2 10 1 hao-chuangkou banli");
        assert_eq!(zh(0), "qing a 0 1 2 hao dao 0 hao-chuangkou banli");
        assert_eq!(
            short(&sentence(&call(3), Locale::En, &voice)),
            "number a 0 1 2 please-go-to-counter 3",
            "English is unchanged"
        );
        assert_eq!(phrase_clips(2), ["zh-CN/window/1", "zh-CN/window/2"]);
    }

    #[test]
    fn every_clip_a_sentence_uses_is_in_the_pack_list() {
        for locale in Locale::ALL {
            let all = all_clips(locale);
            for counter in (0..=1100).chain([9999, 10000, 123456]) {
                for recall in [false, true] {
                    let call = Call {
                        number: "XA0123456789".into(),
                        counter,
                        recall,
                    };
                    for clip in announcement(&call, &[locale], true, &Voice::default()) {
                        assert!(
                            clip == PAUSE || all.contains(&clip),
                            "{clip} missing for {locale:?}"
                        );
                    }
                    // With phrases: only the listed phrase clips are added.
                    let voice = Voice { window_phrases: 30 };
                    let phrases = phrase_clips(30);
                    for clip in announcement(&call, &[locale], true, &voice) {
                        assert!(
                            clip == PAUSE || all.contains(&clip) || phrases.contains(&clip),
                            "{clip} missing for {locale:?} with phrases"
                        );
                    }
                }
            }
        }
        assert_eq!(Locale::parse("zh-CN"), Some(Locale::ZhCn));
        assert_eq!(Locale::parse("fr"), None);
    }
}
