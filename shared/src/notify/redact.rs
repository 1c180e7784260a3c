//! Webhook URLs are credentials: nothing we print may hold one, whole or in pieces.

use crate::text::url_decode;

/// Removes from a message the URL and every part of it that could be a secret: its path and query, each
/// path segment and query value of 8 characters or more, raw and percent-decoded. Servers echo URLs in
/// error pages, whole or in pieces, and a Slack, Discord or Teams Workflows URL is the only credential
/// there is.
pub fn scrub(text: &str, url: &str) -> String {
    let mut secrets = vec![url.to_owned()];
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    if let Some((_, path_and_query)) = after_scheme.split_once('/') {
        secrets.push(format!("/{path_and_query}"));
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        secrets.push(path.to_owned());
        secrets.push(query.to_owned());
        secrets.extend(path.split('/').map(str::to_owned));
        for pair in query.split('&') {
            secrets.push(pair.to_owned());
            if let Some((_, value)) = pair.split_once('=') {
                secrets.push(value.to_owned());
            }
        }
    }
    // A part that does not decode is still removed in its raw form.
    let decoded: Vec<String> = secrets.iter().filter_map(|s| url_decode(s).ok()).collect();
    secrets.extend(decoded);
    secrets.retain(|s| s.chars().count() >= 8);
    // Longest first, so a part inside a longer one does not break it up before it is removed.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    let mut text = text.to_owned();
    for secret in &secrets {
        text = text.replace(secret.as_str(), "(redacted)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_the_url_and_every_secret_part_of_it() {
        let url = "https://prod.westeurope.logic.azure.com/workflows/0a1b2c3d4e5f/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sig=SIGSECRET123";
        for echoed in [
            url.to_owned(),
            format!("bad request to {url}"),
            "/workflows/0a1b2c3d4e5f/triggers/manual/paths/invoke".to_owned(),
            "bad sig=SIGSECRET123".to_owned(),
            "value SIGSECRET123 rejected".to_owned(),
            "sp /triggers/manual/run".to_owned(),
            "workflow 0a1b2c3d4e5f not found".to_owned(),
        ] {
            let shown = scrub(&echoed, url);
            for secret in ["SIGSECRET123", "0a1b2c3d4e5f", "/triggers/manual/run"] {
                assert!(!shown.contains(secret), "{echoed:?} shown as {shown:?}");
            }
        }
        let slack = "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/XXXXXXXXXXXXXXXXXXXXXXXX";
        let shown = scrub(
            "no_service for T0AAAAAAA/B0BBBBBBB/XXXXXXXXXXXXXXXXXXXXXXXX",
            slack,
        );
        assert_eq!(shown, "no_service for (redacted)/(redacted)/(redacted)");
        // Short, common words are kept: they are not secrets, and they are the useful part.
        assert_eq!(scrub("invalid_payload", slack), "invalid_payload");
    }
}
