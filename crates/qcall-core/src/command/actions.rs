//! The counter actions and their one table, [`COUNTER_ACTIONS`]: what a
//! counter can do, who may, its arguments, key, labels and help. The HTTP
//! and websocket parsers, their error text, `GET /api/v1/counter-actions`,
//! the CLI's verbs and the counter page's buttons all read this table, so
//! no layer keeps a list of its own.

use super::TransferTarget;

/// What a counter can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CounterAction {
    /// Finish the current ticket (if any) and call the next one.
    CallNext,
    /// Call the current ticket again; past the recall limit it is a no-show.
    Recall,
    /// The called ticket did not come.
    NoShow,
    /// Put the called ticket back in its queue, keeping its place.
    Requeue,
    /// The applicant is at the counter.
    Start,
    /// Service finished, optionally rated 1..=5; a 差评 (2 or 1) needs a
    /// reason and opens an item to put it right.
    Finish {
        rating: Option<u8>,
        reason: Option<String>,
    },
    /// Send the current ticket to another service or counter.
    Transfer(TransferTarget),
    /// Set the current ticket aside until the listed materials are brought
    /// (挂起/补件); the applicant returns later with the same ticket.
    Suspend {
        missing: Vec<String>,
    },
    Pause,
    Resume,
    Open,
    /// Close the counter. Refused while its services have waiting tickets
    /// that no other open counter serves, unless a supervisor overrides
    /// (`override_by`), which is audited.
    Close {
        override_by: Option<String>,
    },
    /// The clerk named by the acting token works at this counter now.
    SignIn {
        staff: String,
    },
    /// The clerk `staff` signed out (`DELETE /api/v1/session` of a session
    /// signed in here): the counter no longer names them, and stays in
    /// whatever state it is. Audited; if another clerk has signed in here
    /// since, only the audit is recorded.
    SignOut {
        staff: String,
    },
    /// Call one waiting ticket by its number (叫指定号): the applicant who
    /// steps up with it. Audited with `by` and `reason`; a ticket that is
    /// not waiting for this counter's services is refused unless a
    /// supervisor overrides (`override_by`).
    CallNumber {
        number: String,
        reason: String,
        by: String,
        override_by: Option<String>,
    },
}

impl CounterAction {
    /// Which action this is, without its arguments: its row in
    /// [`COUNTER_ACTIONS`].
    pub fn kind(&self) -> CounterActionKind {
        match self {
            CounterAction::CallNext => CounterActionKind::CallNext,
            CounterAction::Recall => CounterActionKind::Recall,
            CounterAction::NoShow => CounterActionKind::NoShow,
            CounterAction::Requeue => CounterActionKind::Requeue,
            CounterAction::Start => CounterActionKind::Start,
            CounterAction::Finish { .. } => CounterActionKind::Finish,
            CounterAction::Transfer(_) => CounterActionKind::Transfer,
            CounterAction::Suspend { .. } => CounterActionKind::Suspend,
            CounterAction::Pause => CounterActionKind::Pause,
            CounterAction::Resume => CounterActionKind::Resume,
            CounterAction::Open => CounterActionKind::Open,
            CounterAction::Close { .. } => CounterActionKind::Close,
            CounterAction::SignIn { .. } => CounterActionKind::SignIn,
            CounterAction::SignOut { .. } => CounterActionKind::SignOut,
            CounterAction::CallNumber { .. } => CounterActionKind::CallNumber,
        }
    }
}

/// A counter action without its arguments: the key of [`COUNTER_ACTIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CounterActionKind {
    CallNext,
    Recall,
    NoShow,
    Requeue,
    Start,
    Finish,
    Transfer,
    Suspend,
    Pause,
    Resume,
    Open,
    Close,
    SignIn,
    SignOut,
    CallNumber,
}

impl CounterActionKind {
    /// Every kind, in the table's order.
    pub const ALL: [CounterActionKind; 15] = [
        CounterActionKind::CallNext,
        CounterActionKind::Recall,
        CounterActionKind::NoShow,
        CounterActionKind::Requeue,
        CounterActionKind::Start,
        CounterActionKind::Finish,
        CounterActionKind::Transfer,
        CounterActionKind::Suspend,
        CounterActionKind::Pause,
        CounterActionKind::Resume,
        CounterActionKind::Open,
        CounterActionKind::Close,
        CounterActionKind::SignIn,
        CounterActionKind::SignOut,
        CounterActionKind::CallNumber,
    ];

    /// Its row of [`COUNTER_ACTIONS`].
    pub fn spec(self) -> &'static ActionSpec {
        COUNTER_ACTIONS
            .iter()
            .find(|a| a.kind == self)
            .expect("every kind has a row (tested)")
    }
}

/// Who may ask for a counter action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionAccess {
    /// The counter's own token, or a supervisor's.
    Counter,
    /// No client asks for it: the daemon records it when a clerk's token
    /// first acts at the counter. Not offered by the HTTP or websocket
    /// parsers, the CLI or the page.
    Internal,
}

/// How an argument of an action is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgNeed {
    Optional,
    Required,
    /// Exactly one of the action's `OneOf` arguments.
    OneOf,
}

/// One argument of a counter action: a field of the request body (HTTP)
/// or of `args` (websocket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionArg {
    pub name: &'static str,
    /// What it holds, for help texts: `1-5`, `CODE`, `[TEXT]`...
    pub value: &'static str,
    pub need: ArgNeed,
    /// Only a supervisor's token may set it.
    pub supervisor_only: bool,
    /// One line for help texts.
    pub help: &'static str,
}

/// One counter action as every layer names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionSpec {
    pub kind: CounterActionKind,
    /// Kebab-case: the path segment of `POST /api/v1/counters/{id}/{name}`
    /// and the websocket command.
    pub name: &'static str,
    /// Other spellings accepted (older websocket clients used snake_case).
    pub aliases: &'static [&'static str],
    pub args: &'static [ActionArg],
    pub access: ActionAccess,
    /// Keyboard shortcut on the counter page (lower case), if any. Resume
    /// and open have none: the page's pause and close keys toggle.
    pub key: Option<char>,
    /// Button label, Chinese and English.
    pub label_zh: &'static str,
    pub label_en: &'static str,
    /// One line for help texts.
    pub help: &'static str,
}

impl ActionSpec {
    /// The action of a path segment or websocket command (name or alias).
    pub fn by_name(name: &str) -> Option<&'static ActionSpec> {
        COUNTER_ACTIONS
            .iter()
            .find(|a| a.name == name || a.aliases.contains(&name))
    }

    /// The actions a client may ask for, in the table's order.
    pub fn for_clients() -> impl Iterator<Item = &'static ActionSpec> {
        COUNTER_ACTIONS
            .iter()
            .filter(|a| a.access != ActionAccess::Internal)
    }

    /// One of its arguments, by body field name.
    pub fn arg(&self, name: &str) -> Option<&'static ActionArg> {
        self.args.iter().find(|a| a.name == name)
    }
}

const fn arg(
    name: &'static str,
    value: &'static str,
    need: ArgNeed,
    help: &'static str,
) -> ActionArg {
    ActionArg {
        name,
        value,
        need,
        supervisor_only: false,
        help,
    }
}

/// Every counter action, once: the HTTP and websocket parsers, their error
/// messages, the CLI and the counter page's buttons all come from here.
pub const COUNTER_ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        kind: CounterActionKind::CallNext,
        name: "call-next",
        aliases: &["call_next"],
        args: &[],
        access: ActionAccess::Counter,
        key: Some('c'),
        label_zh: "叫号",
        label_en: "Call next",
        help: "finish the current ticket, if any, and call the next one",
    },
    ActionSpec {
        kind: CounterActionKind::CallNumber,
        name: "call",
        aliases: &["call_number"],
        args: &[
            arg(
                "number",
                "NUMBER",
                ArgNeed::Required,
                "the ticket's number, e.g. A012; it must be waiting for one of this counter's services",
            ),
            arg(
                "reason",
                "TEXT",
                ArgNeed::Required,
                "why this number goes first (audited), e.g. called while the applicant was away",
            ),
            ActionArg {
                name: "force",
                value: "true",
                need: ArgNeed::Optional,
                supervisor_only: true,
                help: "call it although it waits for another counter's service (audited)",
            },
        ],
        access: ActionAccess::Counter,
        key: Some('g'),
        label_zh: "叫指定号",
        label_en: "Call a number",
        help: "call one waiting ticket by its number, with a reason (audited)",
    },
    ActionSpec {
        kind: CounterActionKind::Recall,
        name: "recall",
        aliases: &[],
        args: &[],
        access: ActionAccess::Counter,
        key: Some('r'),
        label_zh: "重呼",
        label_en: "Recall",
        help: "call the current ticket again; past the recall limit it is a no-show",
    },
    ActionSpec {
        kind: CounterActionKind::NoShow,
        name: "no-show",
        aliases: &["no_show"],
        args: &[],
        access: ActionAccess::Counter,
        key: Some('n'),
        label_zh: "未到",
        label_en: "No-show",
        help: "the called applicant did not come",
    },
    ActionSpec {
        kind: CounterActionKind::Requeue,
        name: "requeue",
        aliases: &[],
        args: &[],
        access: ActionAccess::Counter,
        key: Some('q'),
        label_zh: "退回排队",
        label_en: "Back to queue",
        help: "put the called ticket back in its queue, keeping its place",
    },
    ActionSpec {
        kind: CounterActionKind::Start,
        name: "start",
        aliases: &[],
        args: &[],
        access: ActionAccess::Counter,
        key: Some('s'),
        label_zh: "开始办理",
        label_en: "Start",
        help: "the applicant is at the counter",
    },
    ActionSpec {
        kind: CounterActionKind::Finish,
        name: "finish",
        aliases: &[],
        args: &[
            arg(
                "rating",
                "1-5",
                ArgNeed::Optional,
                "the applicant's rating, 1 very dissatisfied to 5 very satisfied",
            ),
            arg(
                "reason",
                "TEXT",
                ArgNeed::Optional,
                "with a 差评 rating (2 or 1), required: why the applicant is dissatisfied",
            ),
        ],
        access: ActionAccess::Counter,
        key: Some('f'),
        label_zh: "办结",
        label_en: "Finish",
        help: "service finished",
    },
    ActionSpec {
        kind: CounterActionKind::Transfer,
        name: "transfer",
        aliases: &[],
        args: &[
            arg(
                "service",
                "CODE",
                ArgNeed::OneOf,
                "send it to another service's queue",
            ),
            arg(
                "counter",
                "ID",
                ArgNeed::OneOf,
                "send it to one counter; only that counter may call it",
            ),
        ],
        access: ActionAccess::Counter,
        key: Some('t'),
        label_zh: "转办",
        label_en: "Transfer",
        help: "send the current ticket to another service or counter, keeping its place",
    },
    ActionSpec {
        kind: CounterActionKind::Suspend,
        name: "suspend",
        aliases: &[],
        args: &[
            arg(
                "missing",
                "[TEXT]",
                ArgNeed::Required,
                "1 to 30 missing materials, printed on the notice slip",
            ),
            arg(
                "note",
                "TEXT",
                ArgNeed::Optional,
                "a note for the notice slip",
            ),
        ],
        access: ActionAccess::Counter,
        key: Some('m'),
        label_zh: "挂起补件",
        label_en: "Suspend",
        help: "set the current ticket aside until the missing materials are brought (挂起/补件)",
    },
    ActionSpec {
        kind: CounterActionKind::Pause,
        name: "pause",
        aliases: &[],
        args: &[],
        access: ActionAccess::Counter,
        key: Some('p'),
        label_zh: "暂停",
        label_en: "Pause",
        help: "stop calling for a while (break, paperwork)",
    },
    ActionSpec {
        kind: CounterActionKind::Resume,
        name: "resume",
        aliases: &[],
        args: &[],
        access: ActionAccess::Counter,
        key: None,
        label_zh: "恢复",
        label_en: "Resume",
        help: "call again after a pause",
    },
    ActionSpec {
        kind: CounterActionKind::Open,
        name: "open",
        aliases: &[],
        args: &[],
        access: ActionAccess::Counter,
        key: None,
        label_zh: "开窗",
        label_en: "Open",
        help: "staff the counter",
    },
    ActionSpec {
        kind: CounterActionKind::Close,
        name: "close",
        aliases: &[],
        args: &[ActionArg {
            name: "force",
            value: "true",
            need: ArgNeed::Optional,
            supervisor_only: true,
            help: "close although it is the last open counter of a service with people waiting (audited)",
        }],
        access: ActionAccess::Counter,
        key: Some('o'),
        label_zh: "关窗",
        label_en: "Close",
        help: "close the counter; refused while it is the last one for people waiting",
    },
    ActionSpec {
        kind: CounterActionKind::SignIn,
        name: "sign-in",
        aliases: &[],
        args: &[],
        access: ActionAccess::Internal,
        key: None,
        label_zh: "签到",
        label_en: "Sign in",
        help: "the clerk named by the acting token works at this counter now",
    },
    ActionSpec {
        kind: CounterActionKind::SignOut,
        name: "sign-out",
        aliases: &[],
        args: &[],
        access: ActionAccess::Internal,
        key: None,
        label_zh: "签退",
        label_en: "Sign out",
        help: "the clerk who signed out no longer works at this counter",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// One example of each action, arguments filled in.
    fn example(kind: CounterActionKind) -> CounterAction {
        match kind {
            CounterActionKind::CallNext => CounterAction::CallNext,
            CounterActionKind::Recall => CounterAction::Recall,
            CounterActionKind::NoShow => CounterAction::NoShow,
            CounterActionKind::Requeue => CounterAction::Requeue,
            CounterActionKind::Start => CounterAction::Start,
            CounterActionKind::Finish => CounterAction::Finish {
                rating: Some(5),
                reason: None,
            },
            CounterActionKind::Transfer => {
                CounterAction::Transfer(TransferTarget::Service("B".into()))
            }
            CounterActionKind::Suspend => CounterAction::Suspend {
                missing: vec!["户口簿".into()],
            },
            CounterActionKind::Pause => CounterAction::Pause,
            CounterActionKind::Resume => CounterAction::Resume,
            CounterActionKind::Open => CounterAction::Open,
            CounterActionKind::Close => CounterAction::Close { override_by: None },
            CounterActionKind::SignIn => CounterAction::SignIn {
                staff: "wang".into(),
            },
            CounterActionKind::SignOut => CounterAction::SignOut {
                staff: "wang".into(),
            },
            CounterActionKind::CallNumber => CounterAction::CallNumber {
                number: "A012".into(),
                reason: "called while away".into(),
                by: "1024".into(),
                override_by: None,
            },
        }
    }

    #[test]
    fn the_table_has_exactly_one_row_per_action() {
        assert_eq!(COUNTER_ACTIONS.len(), CounterActionKind::ALL.len());
        for kind in CounterActionKind::ALL {
            let rows = COUNTER_ACTIONS.iter().filter(|a| a.kind == kind).count();
            assert_eq!(rows, 1, "{kind:?} has {rows} rows");
            assert_eq!(example(kind).kind(), kind);
            assert_eq!(
                ActionSpec::by_name(kind.spec().name).map(|a| a.kind),
                Some(kind)
            );
        }
    }

    #[test]
    fn names_keys_and_labels_are_unique_and_well_formed() {
        let mut names = std::collections::HashSet::new();
        let mut keys = std::collections::HashSet::new();
        for a in COUNTER_ACTIONS {
            let kebab = a.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
            assert!(kebab, "`{}` is not kebab-case", a.name);
            for name in std::iter::once(&a.name).chain(a.aliases) {
                assert!(names.insert(*name), "`{name}` names two actions");
            }
            if let Some(k) = a.key {
                assert!(k.is_ascii_lowercase(), "{}: key {k:?}", a.name);
                assert!(keys.insert(k), "key {k:?} on two actions");
            }
            assert!(!a.label_zh.is_empty() && !a.label_en.is_empty() && !a.help.is_empty());
            let one_of = a.args.iter().filter(|x| x.need == ArgNeed::OneOf).count();
            assert!(one_of != 1, "{}: a lone one-of argument", a.name);
        }
        assert_eq!(
            ActionSpec::by_name("no_show").map(|a| a.name),
            Some("no-show")
        );
        assert_eq!(ActionSpec::by_name("dance"), None);
        let internal: Vec<_> = COUNTER_ACTIONS
            .iter()
            .filter(|a| !ActionSpec::for_clients().any(|c| c.kind == a.kind))
            .map(|a| a.name)
            .collect();
        assert_eq!(internal, ["sign-in", "sign-out"]);
    }
}
