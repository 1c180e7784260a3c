//! The CLI examples in README.md and docs/ are real: every `$ trailwatch …` line in a ```console block is
//! run from the workspace root, and its output must be what the block shows. A line holding only `…`
//! stands for any number of lines.

use std::path::Path;

use trailwatch_testkit::{root, run_from_root};

/// One example: where it is, the command's arguments, and the output shown.
struct Example {
    place: String,
    args: Vec<String>,
    shown: Vec<String>,
}

fn examples(file: &Path) -> Vec<Example> {
    let text = std::fs::read_to_string(file).unwrap();
    let name = file
        .strip_prefix(root())
        .unwrap_or(file)
        .display()
        .to_string();
    let mut out = Vec::new();
    let mut in_console = false;
    let mut current: Option<Example> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            if in_console {
                out.extend(current.take());
            }
            in_console = !in_console && line.trim() == "```console";
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            out.extend(current.take());
            let mut words = command.split_whitespace().map(str::to_owned);
            current = (words.next().as_deref() == Some("trailwatch")).then(|| Example {
                place: format!("{name}:{}", i + 1),
                args: words.collect(),
                shown: Vec::new(),
            });
        } else if let Some(example) = &mut current {
            example.shown.push(line.trim_end().to_owned());
        }
    }
    out
}

/// Whether `actual` is `shown`, where a `…` line in `shown` stands for any lines.
fn fits(shown: &[String], actual: &[&str]) -> bool {
    match shown.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "…" => {
            (0..=actual.len()).any(|skip| fits(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(line, more)| line.trim_end() == first && fits(rest, more)),
    }
}

#[test]
fn every_cli_example_in_the_docs_prints_what_it_shows() {
    let mut files = vec![root().join("README.md")];
    if let Ok(entries) = std::fs::read_dir(root().join("docs")) {
        files.extend(
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "md")),
        );
    }
    files.sort();
    let all: Vec<Example> = files.iter().flat_map(|f| examples(f)).collect();
    assert!(all.len() >= 3, "only {} CLI examples found", all.len());
    let mut wrong = Vec::new();
    for example in &all {
        let args: Vec<&str> = example.args.iter().map(String::as_str).collect();
        let out = run_from_root(env!("CARGO_BIN_EXE_trailwatch"), &args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let actual: Vec<&str> = stdout.lines().collect();
        if !fits(&example.shown, &actual) {
            wrong.push(format!(
                "{}: trailwatch {}\n--- shown\n{}\n--- printed\n{}",
                example.place,
                example.args.join(" "),
                example.shown.join("\n"),
                stdout
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn an_ellipsis_stands_for_any_lines_and_nothing_else_is_loose() {
    let shown = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(fits(&shown(&["a", "…", "d"]), &["a", "b", "c", "d"]));
    assert!(fits(&shown(&["a", "…", "d"]), &["a", "d"]));
    assert!(!fits(&shown(&["a", "…", "d"]), &["a", "b", "c"]));
    assert!(!fits(&shown(&["a", "b"]), &["a", "b", "c"]));
    assert!(!fits(&shown(&["a", "x"]), &["a", "b"]));
    assert!(fits(&shown(&["…"]), &[]));
}
