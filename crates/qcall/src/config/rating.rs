//! `[rating]`: 好差评 as the hall takes it (the indicator set and its
//! version, the reasons offered for a 差评) and where ratings are uploaded
//! (the provincial platform). The defaults are the core's
//! ([`qcall_core::rating::RatingRules::default`]), so there is one table.

use std::path::{Path, PathBuf};

use anyhow::bail;
use qcall_core::Text;
use qcall_core::rating::{Indicator, RatingRules};
use serde::{Deserialize, Serialize};

use super::Bilingual;

/// Every key may be left out (see `Default`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RatingSection {
    /// The indicator set's version; raise it when the set changes.
    pub indicator_version: u32,
    /// The indicators asked alongside the overall level.
    pub indicators: Vec<IndicatorSection>,
    /// Reasons offered for a 差评.
    pub reasons: Vec<Bilingual>,
    /// Working days to put a 差评 right (5, 7 or 15 by locality).
    pub fix_working_days: u32,
    /// The 好差评 platform's URL; empty: nothing is uploaded (records wait).
    pub upload_url: String,
    /// First retry after this long; doubling up to a minute.
    pub retry_ms: u64,
    /// PEM CA certificates for an `https://` platform with a private CA.
    pub ca_file: PathBuf,
    /// The department (部门) uploads name; empty: the hall's Chinese name.
    pub department: String,
    /// After `finish`, text a ticket with a phone on file its rating link.
    pub sms_link: bool,
}

/// One indicator: its code and names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSection {
    pub code: String,
    pub zh: String,
    pub en: String,
}

impl Default for RatingSection {
    fn default() -> Self {
        let rules = RatingRules::default();
        RatingSection {
            indicator_version: rules.indicator_version,
            indicators: rules
                .indicators
                .iter()
                .map(|i| IndicatorSection {
                    code: i.code.clone(),
                    zh: i.name.zh.clone(),
                    en: i.name.en.clone(),
                })
                .collect(),
            reasons: rules
                .reasons
                .iter()
                .map(|r| Bilingual {
                    zh: r.zh.clone(),
                    en: r.en.clone(),
                })
                .collect(),
            fix_working_days: rules.fix_working_days,
            upload_url: String::new(),
            retry_ms: 2000,
            ca_file: PathBuf::new(),
            department: String::new(),
            sms_link: rules.sms_link,
        }
    }
}

impl RatingSection {
    /// The rules the core applies, checked.
    pub fn rules(&self) -> anyhow::Result<RatingRules> {
        if self.indicator_version == 0 {
            bail!(
                "[rating] indicator_version = 0: versions start at 1 (0 marks ratings from before indicators)"
            );
        }
        let mut seen = std::collections::HashSet::new();
        for i in &self.indicators {
            let ok = (1..=32).contains(&i.code.len())
                && i.code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                bail!(
                    "[rating] indicators: code {:?} must be 1-32 lowercase letters, digits or `_`",
                    i.code
                );
            }
            if !seen.insert(i.code.as_str()) {
                bail!(
                    "[rating] indicators: code {:?} is listed twice; each indicator once",
                    i.code
                );
            }
            if i.zh.trim().is_empty() || i.en.trim().is_empty() {
                bail!(
                    "[rating] indicators: {:?} needs a zh and an en name",
                    i.code
                );
            }
        }
        if !(1..=60).contains(&self.fix_working_days) {
            bail!(
                "[rating] fix_working_days = {}: use 1 to 60 working days (local rules say 5, 7 or 15)",
                self.fix_working_days
            );
        }
        if self.reasons.iter().any(|r| r.zh.trim().is_empty()) {
            bail!("[rating] reasons: a reason needs its zh text");
        }
        Ok(RatingRules {
            indicators: self
                .indicators
                .iter()
                .map(|i| Indicator {
                    code: i.code.clone(),
                    name: Text::new(i.zh.clone(), i.en.clone()),
                })
                .collect(),
            indicator_version: self.indicator_version,
            reasons: self.reasons.iter().map(Text::from).collect(),
            fix_working_days: self.fix_working_days,
            sms_link: self.sms_link,
        })
    }

    /// `ca_file`, when one is set.
    pub fn ca_file(&self) -> Option<&Path> {
        (!self.ca_file.as_os_str().is_empty()).then_some(self.ca_file.as_path())
    }
}
