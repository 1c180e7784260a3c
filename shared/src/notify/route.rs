//! Routing by alarm tags: with tag propagation on, an alarm's own tags pick its destinations and its
//! Slack channel, so one deployment serves several teams.

use crate::alarms::Alarm;
use crate::notify::{Channel, Target};

/// The tag that names an alarm's destinations, by label: `slack-bot pagerduty`, `email,teams`.
pub const NOTIFY_TAG: &str = "trailwatch-notify";

/// The tag that names the channel the Slack bot posts an alarm in (`C0123ABCDEF`), instead of
/// `SLACK_CHANNEL`.
pub const SLACK_CHANNEL_TAG: &str = "trailwatch-slack-channel";

/// Where one alarm goes, from its tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    /// The destinations it names, by label; `None` for all (no tag, or none it names is configured).
    pub only: Option<Vec<&'static str>>,
    /// The Slack bot's channel for it.
    pub slack_channel: Option<String>,
    /// What was wrong with its tags, for the log: each is a tag ignored in part or whole.
    pub problems: Vec<String>,
}

impl Route {
    /// The route `alarm`'s tags give among `targets`. A tag that names nothing configured sends to
    /// every destination, so that a typo loses no alarm.
    pub fn for_alarm(alarm: &Alarm, targets: &[Target]) -> Route {
        let mut route = Route::default();
        if let Some(names) = alarm.tags.get(NOTIFY_TAG) {
            let configured: Vec<&'static str> = targets
                .iter()
                .map(|t| t.destination.channel().label())
                .collect();
            let mut only = Vec::new();
            for name in names
                .split([',', ' ', ';'])
                .map(str::trim)
                .filter(|n| !n.is_empty())
            {
                let label = Channel::ALL
                    .iter()
                    .map(|c| c.label())
                    .find(|l| l.eq_ignore_ascii_case(name));
                match label {
                    Some(label) if configured.contains(&label) => {
                        if !only.contains(&label) {
                            only.push(label);
                        }
                    }
                    Some(label) => route.problems.push(format!(
                        "{NOTIFY_TAG} names {label}, which is not configured here"
                    )),
                    None => route.problems.push(format!(
                        "{NOTIFY_TAG} names {name:?}, which is no destination (use {})",
                        Channel::ALL.map(Channel::label).join(", ")
                    )),
                }
            }
            // A name that does not fit means the tag's author meant somewhere this deployment cannot
            // send: every destination gets it rather than fewer than meant.
            if only.is_empty() || !route.problems.is_empty() {
                route
                    .problems
                    .push(format!("{NOTIFY_TAG}={names:?}: sent to every destination"));
            } else {
                route.only = Some(only);
            }
        }
        if let Some(channel) = alarm.tags.get(SLACK_CHANNEL_TAG) {
            let channel = channel.trim();
            // Slack's ids are letters and digits (`C0123ABCDEF`); a `#name` is not one.
            if !channel.is_empty() && channel.bytes().all(|b| b.is_ascii_alphanumeric()) {
                route.slack_channel = Some(channel.to_owned());
            } else {
                route.problems.push(format!(
                    "{SLACK_CHANNEL_TAG}={channel:?} is not a channel id (C0123ABCDEF): SLACK_CHANNEL is used"
                ));
            }
        }
        route
    }

    /// The route for an alarm on a security rule: its tags may pick the Slack channel, but they do not
    /// narrow its destinations. Whoever may tag an alarm could otherwise take a security alarm away
    /// from the pager without touching the alarm itself.
    pub fn for_security_alarm(mut self) -> Route {
        if let Some(only) = self.only.take() {
            self.problems.push(format!(
                "{NOTIFY_TAG} names {}, but a security alarm goes to every destination",
                only.join(", ")
            ));
        }
        self
    }

    /// Whether `target` gets the alarm.
    pub fn allows(&self, target: &Target) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.contains(&target.destination.channel().label()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarms::AlarmTags;
    use crate::notify::{Destination, SecretRef};

    fn alarm(tags: &[(&str, &str)]) -> Alarm {
        Alarm {
            tags: AlarmTags {
                tags: tags
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                status: Some("SUCCESS".into()),
            },
            ..Alarm::named("a")
        }
    }

    fn targets() -> Vec<Target> {
        vec![
            Target::new(Destination::Webhook {
                channel: Channel::Slack,
                secret: SecretRef::Value("https://x".into()),
            }),
            Target::new(Destination::Email {
                topic_arn: "arn:aws:sns:us-east-1:1:t".into(),
            }),
            Target::new(Destination::PagerDuty {
                routing_key: SecretRef::Ssm("/pd".into()),
                events_url: "https://e".into(),
            }),
        ]
    }

    fn allowed(route: &Route) -> Vec<&'static str> {
        targets()
            .iter()
            .filter(|t| route.allows(t))
            .map(|t| t.destination.channel().label())
            .collect()
    }

    #[test]
    fn the_notify_tag_picks_configured_destinations_and_a_typo_loses_nothing() {
        let t = targets();
        let untagged = Route::for_alarm(&alarm(&[("team", "payments")]), &t);
        assert_eq!(untagged, Route::default());
        assert_eq!(allowed(&untagged), ["slack", "email", "pagerduty"]);

        let r = Route::for_alarm(&alarm(&[(NOTIFY_TAG, "pagerduty, email")]), &t);
        assert_eq!(allowed(&r), ["email", "pagerduty"]);
        assert!(r.problems.is_empty(), "{:?}", r.problems);

        // Any name that does not fit: everywhere, rather than fewer than meant.
        let r = Route::for_alarm(&alarm(&[(NOTIFY_TAG, "email teams slakc")]), &t);
        assert_eq!(allowed(&r), ["slack", "email", "pagerduty"]);
        assert_eq!(r.problems.len(), 3, "{:?}", r.problems);
        assert!(r.problems[0].contains("teams, which is not configured"));
        assert!(r.problems[1].contains("\"slakc\", which is no destination"));
        assert!(r.problems[2].contains("sent to every destination"));
        // Names are matched whatever their case.
        let r = Route::for_alarm(&alarm(&[(NOTIFY_TAG, "PagerDuty;EMAIL")]), &t);
        assert_eq!(allowed(&r), ["email", "pagerduty"]);
        assert!(r.problems.is_empty(), "{:?}", r.problems);

        let r = Route::for_alarm(&alarm(&[(NOTIFY_TAG, "slakc")]), &t);
        assert_eq!(allowed(&r), ["slack", "email", "pagerduty"], "nothing lost");
        assert!(r
            .problems
            .last()
            .unwrap()
            .contains("sent to every destination"));
    }

    #[test]
    fn a_security_alarm_goes_everywhere_whatever_its_tags_say() {
        let t = targets();
        let tags = [(NOTIFY_TAG, "email"), (SLACK_CHANNEL_TAG, "C0456SECURITY")];
        let r = Route::for_alarm(&alarm(&tags), &t).for_security_alarm();
        assert_eq!(allowed(&r), ["slack", "email", "pagerduty"]);
        assert_eq!(r.slack_channel.as_deref(), Some("C0456SECURITY"));
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert!(
            r.problems[0].contains("names email, but a security alarm goes to every destination")
        );
        let untagged = Route::for_alarm(&alarm(&[]), &t).for_security_alarm();
        assert_eq!(untagged, Route::default());
    }

    #[test]
    fn the_slack_channel_tag_takes_a_channel_id_only() {
        let t = targets();
        let r = Route::for_alarm(&alarm(&[(SLACK_CHANNEL_TAG, " C0456PAYMENTS ")]), &t);
        assert_eq!(r.slack_channel.as_deref(), Some("C0456PAYMENTS"));
        for bad in ["#payments", "C0456-PAY", "C0456_PAY", ""] {
            let r = Route::for_alarm(&alarm(&[(SLACK_CHANNEL_TAG, bad)]), &t);
            assert_eq!(r.slack_channel, None, "{bad:?}");
            assert!(r.problems[0].contains("is not a channel id"), "{bad:?}");
        }
    }
}
