//! Which state changes are worth a message (`NOTIFY_TRANSITIONS`).

use crate::alarms::State;
use crate::vars::ValueError;

/// A state change: from (any, when `None`) to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: Option<State>,
    pub to: Option<State>,
}

/// Which transitions notify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionFilter {
    /// Everything except INSUFFICIENT_DATA → OK and OK → INSUFFICIENT_DATA: the noise of metrics that
    /// come and go.
    Default,
    All,
    /// Only these (`*` for any state).
    Only(Vec<Transition>),
}

impl std::str::FromStr for TransitionFilter {
    type Err = ValueError;

    /// `default`, `all`, or a comma-separated list such as `*->ALARM,ALARM->OK`.
    fn from_str(text: &str) -> Result<TransitionFilter, ValueError> {
        match text.trim() {
            "" | "default" => return Ok(TransitionFilter::Default),
            "all" => return Ok(TransitionFilter::All),
            _ => {}
        }
        let state = |s: &str| -> Result<Option<State>, ValueError> {
            match State::parse(s) {
                _ if s.trim() == "*" => Ok(None),
                State::Other(o) => Err(ValueError::new(
                    &o,
                    "is not a state: use OK, ALARM, INSUFFICIENT_DATA or *",
                )),
                known => Ok(Some(known)),
            }
        };
        text.split(',')
            .map(|t| {
                let (from, to) = t
                    .split_once("->")
                    .ok_or_else(|| ValueError::new(t.trim(), "is not FROM->TO"))?;
                Ok(Transition {
                    from: state(from)?,
                    to: state(to)?,
                })
            })
            .collect::<Result<Vec<_>, ValueError>>()
            .map(TransitionFilter::Only)
    }
}

impl TransitionFilter {
    pub fn allows(&self, from: Option<&State>, to: &State) -> bool {
        match self {
            TransitionFilter::All => true,
            TransitionFilter::Default => !matches!(
                (from, to),
                (Some(State::InsufficientData), State::Ok)
                    | (Some(State::Ok), State::InsufficientData)
            ),
            TransitionFilter::Only(list) => list.iter().any(|t| {
                t.from.as_ref().is_none_or(|f| Some(f) == from)
                    && t.to.as_ref().is_none_or(|s| s == to)
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn transitions() {
        let d = TransitionFilter::Default;
        assert!(d.allows(Some(&State::Ok), &State::Alarm));
        assert!(d.allows(Some(&State::Alarm), &State::Ok));
        assert!(d.allows(Some(&State::InsufficientData), &State::Alarm));
        assert!(!d.allows(Some(&State::InsufficientData), &State::Ok));
        assert!(!d.allows(Some(&State::Ok), &State::InsufficientData));
        assert!(d.allows(None, &State::Ok));
        assert!(TransitionFilter::All.allows(Some(&State::Ok), &State::InsufficientData));
        let only = TransitionFilter::from_str("*->ALARM, ALARM->OK").unwrap();
        assert!(only.allows(Some(&State::Ok), &State::Alarm));
        assert!(only.allows(Some(&State::Alarm), &State::Ok));
        assert!(!only.allows(Some(&State::InsufficientData), &State::Ok));
        assert!(TransitionFilter::from_str("ALARM")
            .unwrap_err()
            .to_string()
            .contains("FROM->TO"));
    }
}
