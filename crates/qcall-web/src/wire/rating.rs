//! The bodies of the 好差评 and case endpoints: the hall's rating rules
//! (what a pad and the phone page ask), a case's visits, and the upload
//! state of each record for `/admin`. No applicant's name or phone number
//! is in any of them.

use qcall_core::Hall;
use qcall_core::rating::{Channel, LEVELS, is_poor};
use serde::Serialize;
use utoipa::ToSchema;

use super::Bilingual;

/// One of the five levels.
#[derive(Debug, Serialize, ToSchema)]
pub struct LevelJson {
    /// 5 非常满意 ... 1 非常不满意.
    pub score: u8,
    pub name: Bilingual,
    /// A 差评 (the bottom two): needs a reason.
    pub poor: bool,
}

/// One indicator of the set in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorJson {
    /// What `indicators` in a rating is keyed by.
    #[schema(example = "attitude")]
    pub code: String,
    pub name: Bilingual,
}

/// `GET /rating`: what a rating asks for.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingRulesBody {
    /// Best first.
    pub levels: Vec<LevelJson>,
    pub indicators: Vec<IndicatorJson>,
    /// The indicator set's version, kept with every rating.
    pub indicator_version: u32,
    /// Reasons offered for a 差评 (a typed reason is accepted too).
    pub reasons: Vec<Bilingual>,
    /// `pad`, `qr`, `sms`.
    pub channels: Vec<&'static str>,
}

impl RatingRulesBody {
    pub fn of(hall: &Hall) -> RatingRulesBody {
        let rules = &hall.rating;
        RatingRulesBody {
            levels: LEVELS
                .iter()
                .map(|(score, zh, en)| LevelJson {
                    score: *score,
                    name: Bilingual {
                        zh: (*zh).into(),
                        en: (*en).into(),
                    },
                    poor: is_poor(*score),
                })
                .collect(),
            indicators: rules
                .indicators
                .iter()
                .map(|i| IndicatorJson {
                    code: i.code.clone(),
                    name: (&i.name).into(),
                })
                .collect(),
            indicator_version: rules.indicator_version,
            reasons: rules.reasons.iter().map(Bilingual::from).collect(),
            channels: Channel::ALL.iter().map(|c| c.as_str()).collect(),
        }
    }
}

/// One visit of a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitJson {
    pub ticket: i64,
    pub number: String,
    pub service: String,
    /// The business day, `2026-11-22`.
    pub day: String,
}

/// `POST /tickets/{id}/case`: the case the ticket now belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseBody {
    pub ticket: i64,
    pub case_no: String,
    /// This ticket's place among the case's visits: 2 is "this case's 2nd
    /// visit".
    pub visit: usize,
    /// Every visit so far, in order.
    pub visits: Vec<VisitJson>,
}

/// One record for the 好差评 platform and where it is.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadJson {
    /// Also its idempotency key.
    pub id: u64,
    /// `rating`.
    pub kind: String,
    pub ticket: i64,
    pub number: String,
    pub service: String,
    pub counter: Option<String>,
    pub case_no: Option<String>,
    pub score: u8,
    pub reason: Option<String>,
    /// `pad`, `qr` or `sms`.
    pub channel: &'static str,
    /// `pending` or `delivered`.
    pub state: &'static str,
    /// RFC 3339, hall time.
    pub queued_at: String,
    pub delivered_at: Option<String>,
}

/// `GET /ratings/uploads`: the latest records, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadsBody {
    /// Whether `[rating] upload_url` is set: without it records wait.
    pub configured: bool,
    pub pending: usize,
    pub uploads: Vec<UploadJson>,
}

/// Visits per case (跑动次数) for a group of cases.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseFiguresJson {
    /// Cases with a visit on the day.
    pub cases: u32,
    /// Their visits so far (every day up to this one).
    pub visits: u32,
    /// Cases done in one visit (最多跑一次).
    pub one_visit: u32,
    pub visits_per_case: Option<f64>,
    /// `one_visit / cases`, 0..=1.
    pub one_visit_share: Option<f64>,
}

impl From<&qcall_core::stats::CaseStats> for CaseFiguresJson {
    fn from(g: &qcall_core::stats::CaseStats) -> Self {
        CaseFiguresJson {
            cases: g.cases,
            visits: g.visits,
            one_visit: g.one_visit,
            visits_per_case: g.visits_per_case(),
            one_visit_share: g.one_visit_share(),
        }
    }
}

/// One service's case figures in `GET /stats`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceCasesJson {
    pub service: String,
    #[serde(flatten)]
    pub figures: CaseFiguresJson,
}

/// `cases` in `GET /stats`: the cases with a visit on the day, counted
/// under the service of their last visit.
#[derive(Debug, Serialize, ToSchema)]
pub struct CasesStatsJson {
    pub total: CaseFiguresJson,
    #[schema(value_type = Vec<ServiceCasesJson>)]
    pub services: Vec<super::Named<CaseFiguresJson>>,
}

/// A step taken on a 差评 item.
#[derive(Debug, Serialize, ToSchema)]
pub struct RectifyStepJson {
    /// RFC 3339, hall time.
    pub at: String,
    pub by: String,
    /// The callback's outcome, or what was fixed.
    pub text: String,
}

/// One 差评 being put right.
#[derive(Debug, Serialize, ToSchema)]
pub struct RectificationJson {
    pub ticket: i64,
    pub number: String,
    pub service: String,
    pub counter: Option<String>,
    /// The clerk rated.
    pub staff: Option<String>,
    pub score: u8,
    pub reason: Option<String>,
    pub opened_at: String,
    /// The last working day to fix it on, `2026-11-30`.
    pub deadline: String,
    pub assignee: Option<String>,
    pub callback: Option<RectifyStepJson>,
    pub fix: Option<RectifyStepJson>,
    /// The applicant's rating of the fix.
    pub fix_score: Option<u8>,
    /// `open`, `called_back`, `fixed` or `rated`.
    pub state: &'static str,
    /// Not fixed by the deadline (still open after it, or fixed late).
    pub overdue: bool,
    /// Once fixed: whether by the deadline.
    pub fixed_on_time: Option<bool>,
    /// The ticket's own page with its key: the applicant rates the fix there.
    pub fix_rating_url: String,
}

/// `GET /rectifications`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RectificationsBody {
    /// `[rating] fix_working_days`.
    pub fix_working_days: u32,
    pub items: Vec<RectificationJson>,
}

/// `POST /tickets/{id}/fix-rating`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FixRatedBody {
    pub ticket: i64,
    pub fix_score: u8,
}

/// 好差评 figures for a group of ratings.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingFiguresJson {
    pub rated: u32,
    /// 满意 or better.
    pub good: u32,
    /// 差评 (不满意 or worse).
    pub poor: u32,
    /// 好评率, 0..=1.
    pub good_rate: Option<f64>,
    /// 差评率, 0..=1.
    pub poor_rate: Option<f64>,
    /// 差评 with an item to put right.
    pub rectifications: u32,
    pub called_back: u32,
    pub fixed_on_time: u32,
    /// 回访率: `called_back / rectifications`.
    pub callback_rate: Option<f64>,
    /// 整改率: `fixed_on_time / rectifications` (put right by the deadline).
    pub rectified_rate: Option<f64>,
}

impl From<&qcall_core::stats::RatingFigures> for RatingFiguresJson {
    fn from(g: &qcall_core::stats::RatingFigures) -> Self {
        RatingFiguresJson {
            rated: g.rated,
            good: g.good,
            poor: g.poor,
            good_rate: g.good_rate(),
            poor_rate: g.poor_rate(),
            rectifications: g.items,
            called_back: g.called_back,
            fixed_on_time: g.fixed_on_time,
            callback_rate: g.callback_rate(),
            rectified_rate: g.rectified_rate(),
        }
    }
}

/// One group's rating figures, as `GET /stats` lists them: `service`,
/// `counter`, `staff` or `indicator` names the group.
#[derive(Debug, Serialize, ToSchema)]
pub struct NamedRatingFiguresJson {
    /// In `services`.
    #[schema(example = "A")]
    pub service: Option<String>,
    /// In `counters`.
    pub counter: Option<String>,
    /// In `staff`.
    pub staff: Option<String>,
    /// In `indicators`: the indicator's code.
    pub indicator: Option<String>,
    #[serde(flatten)]
    pub figures: RatingFiguresJson,
}

/// `ratings` in `GET /stats`: the day's ratings by service, counter, clerk
/// (supervisors only) and indicator.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingStatsJson {
    pub total: RatingFiguresJson,
    #[schema(value_type = Vec<NamedRatingFiguresJson>)]
    pub services: Vec<super::Named<RatingFiguresJson>>,
    #[schema(value_type = Vec<NamedRatingFiguresJson>)]
    pub counters: Vec<super::Named<RatingFiguresJson>>,
    #[schema(value_type = Vec<NamedRatingFiguresJson>)]
    pub staff: Vec<super::Named<RatingFiguresJson>>,
    /// Per indicator of the set: good and poor by the indicator's score.
    #[schema(value_type = Vec<NamedRatingFiguresJson>)]
    pub indicators: Vec<super::Named<RatingFiguresJson>>,
}
