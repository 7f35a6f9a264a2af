//! The 好差评 figures of a day: 好评率 and 差评率 of the ratings given,
//! 回访率 (差评 called back) and 整改率 (差评 put right by the deadline),
//! per service, counter, clerk and indicator.
//!
//! Pure: the caller loads the day's tickets, the indicators each rating
//! gave and the 差评 items of those tickets. Grouped the way
//! [`super::day_stats`] groups (the service a ticket ended in, the counter
//! that served it, the clerk).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::hall::Hall;
use crate::rating::{is_good, is_poor};
use crate::rectify::Rectification;
use crate::ticket::{Ticket, TicketId};

/// The figures of one group of ratings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RatingFigures {
    pub rated: u32,
    /// 满意 or better.
    pub good: u32,
    /// 差评: 不满意 or worse.
    pub poor: u32,
    /// 差评 with an item to put right (the denominator of the next two).
    pub items: u32,
    pub called_back: u32,
    pub fixed_on_time: u32,
}

impl RatingFigures {
    fn share(n: u32, of: u32) -> Option<f64> {
        (of > 0).then(|| f64::from(n) / f64::from(of))
    }
    /// 好评率.
    pub fn good_rate(&self) -> Option<f64> {
        Self::share(self.good, self.rated)
    }
    /// 差评率.
    pub fn poor_rate(&self) -> Option<f64> {
        Self::share(self.poor, self.rated)
    }
    /// 回访率: 差评 called back.
    pub fn callback_rate(&self) -> Option<f64> {
        Self::share(self.called_back, self.items)
    }
    /// 整改率: 差评 put right by their deadline.
    pub fn rectified_rate(&self) -> Option<f64> {
        Self::share(self.fixed_on_time, self.items)
    }

    fn add(&mut self, score: u8, item: Option<&Rectification>, tz: &jiff::tz::TimeZone) {
        self.rated += 1;
        self.good += u32::from(is_good(score));
        self.poor += u32::from(is_poor(score));
        if let Some(r) = item {
            self.items += 1;
            self.called_back += u32::from(r.callback.is_some());
            self.fixed_on_time += u32::from(r.fixed_on_time(tz));
        }
    }
}

/// The day's figures, each list in the hall's order (clerks by name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RatingStats {
    pub total: RatingFigures,
    pub by_service: Vec<(String, RatingFigures)>,
    pub by_counter: Vec<(String, RatingFigures)>,
    pub by_staff: Vec<(String, RatingFigures)>,
    /// Per indicator code of the set in force (good and poor by the
    /// indicator's own score; callbacks and fixes do not apply).
    pub by_indicator: Vec<(String, RatingFigures)>,
}

/// `tickets` are the day's; `indicators` what each rated ticket gave;
/// `items` the 差评 items of those tickets.
pub fn rating_stats(
    hall: &Hall,
    tickets: &[Ticket],
    indicators: &HashMap<TicketId, Vec<(String, u8)>>,
    items: &[Rectification],
) -> RatingStats {
    let tz = &hall.tz;
    let item: HashMap<TicketId, &Rectification> = items.iter().map(|r| (r.ticket, r)).collect();
    let mut s = RatingStats {
        by_service: hall
            .services
            .iter()
            .map(|x| (x.code.clone(), RatingFigures::default()))
            .collect(),
        by_counter: hall
            .counters
            .iter()
            .map(|c| (c.id.clone(), RatingFigures::default()))
            .collect(),
        by_indicator: hall
            .rating
            .indicators
            .iter()
            .map(|i| (i.code.clone(), RatingFigures::default()))
            .collect(),
        ..RatingStats::default()
    };
    let mut staff: BTreeMap<String, RatingFigures> = BTreeMap::new();
    let bump = |list: &mut Vec<(String, RatingFigures)>, key: &str, score, r| {
        if let Some((_, g)) = list.iter_mut().find(|(k, _)| k == key) {
            g.add(score, r, tz);
        }
    };
    for t in tickets {
        let Some(score) = t.rating.filter(|r| (1..=5).contains(r)) else {
            continue;
        };
        let r = item.get(&t.id).copied();
        s.total.add(score, r, tz);
        bump(&mut s.by_service, &t.service, score, r);
        if let Some(c) = &t.counter {
            bump(&mut s.by_counter, c, score, r);
        }
        if let Some(name) = &t.served_by {
            staff.entry(name.clone()).or_default().add(score, r, tz);
        }
        let mut seen = BTreeSet::new();
        for (code, ind) in indicators.get(&t.id).into_iter().flatten() {
            if seen.insert(code.as_str()) {
                bump(&mut s.by_indicator, code, *ind, None);
            }
        }
    }
    s.by_staff = staff.into_iter().collect();
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hall::{PolicyKind, fixtures};
    use crate::rectify::Step;
    use crate::ticket::TicketState;

    fn rated(id: i64, service: &str, counter: &str, score: u8) -> Ticket {
        let mut t = Ticket::waiting(
            TicketId(id),
            "2026-11-23".parse().unwrap(),
            service.into(),
            "normal".into(),
            id as u32,
            format!("{service}{id:03}"),
            0,
        );
        t.state = TicketState::Done;
        t.counter = Some(counter.into());
        t.served_by = Some("wang".into());
        t.rating = Some(score);
        t
    }

    fn item(id: i64, called_back: bool, fixed_day: Option<&str>) -> Rectification {
        let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        let step = |d: &str| Step {
            at: d
                .parse::<jiff::civil::Date>()
                .unwrap()
                .at(12, 0, 0, 0)
                .to_zoned(tz.clone())
                .unwrap()
                .timestamp()
                .as_millisecond(),
            by: "zhao".into(),
            text: "x".into(),
        };
        Rectification {
            ticket: TicketId(id),
            number: String::new(),
            service: "A".into(),
            counter: None,
            staff: None,
            score: 1,
            reason: None,
            opened_at: 0,
            deadline: "2026-11-30".parse().unwrap(),
            assignee: None,
            callback: called_back.then(|| step("2026-11-24")),
            fix: fixed_day.map(step),
            fix_score: None,
            phone: None,
        }
    }

    #[test]
    fn good_poor_callback_and_rectified_rates() {
        let hall = fixtures::hall(PolicyKind::Strict, None);
        let c = &hall.counters[0].id;
        let tickets = [
            rated(1, "A", c, 5),
            rated(2, "A", c, 4),
            rated(3, "A", c, 3),
            rated(4, "B", c, 2),
            rated(5, "B", c, 1),
        ];
        // Ticket 4 called back and fixed in time, 5 called back, fixed late.
        let items = [
            item(4, true, Some("2026-11-27")),
            item(5, true, Some("2026-12-01")),
        ];
        let indicators: HashMap<TicketId, Vec<(String, u8)>> = [
            (TicketId(1), vec![("attitude".to_owned(), 5)]),
            (TicketId(4), vec![("attitude".to_owned(), 1)]),
        ]
        .into();
        let s = rating_stats(&hall, &tickets, &indicators, &items);
        let t = &s.total;
        assert_eq!((t.rated, t.good, t.poor, t.items), (5, 2, 2, 2));
        assert_eq!((t.good_rate(), t.poor_rate()), (Some(0.4), Some(0.4)));
        assert_eq!(
            (t.callback_rate(), t.rectified_rate()),
            (Some(1.0), Some(0.5))
        );
        let b = &s.by_service.iter().find(|(k, _)| k == "B").unwrap().1;
        assert_eq!((b.rated, b.poor_rate()), (2, Some(1.0)));
        assert_eq!(s.by_staff, vec![("wang".to_owned(), t.clone())]);
        let att = &s
            .by_indicator
            .iter()
            .find(|(k, _)| k == "attitude")
            .unwrap()
            .1;
        assert_eq!((att.rated, att.good, att.poor), (2, 1, 1));
        assert_eq!(RatingFigures::default().good_rate(), None);
    }
}
