//! The repository stands alone: no tracked file outside the copied real data cites a
//! document or reads data that lives outside the repository.

use std::collections::BTreeSet;
use std::process::Command;

/// Copied third-party data, compared by the tests but never edited here.
const DATA: [&str; 2] = ["fixtures/data/", "fixtures/workspaces/"];

/// Markdown names that are generated files rather than citations.
const GENERATED_MD: [&str; 1] = ["index.md"];

fn tracked_files() -> Vec<String> {
    let root = crate::project_root();
    let out = Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["ls-files", "-z"])
        .output()
        .expect("running git ls-files (the check needs a git checkout)");
    assert!(out.status.success(), "git ls-files: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .expect("UTF-8 file names")
        .split('\0')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn repository_stands_alone() {
    let files = tracked_files();
    assert!(files.len() > 100, "{files:?}");
    let markdown: BTreeSet<&str> = files
        .iter()
        .filter(|f| f.ends_with(".md"))
        .map(|f| f.rsplit('/').next().unwrap_or(f))
        .chain(GENERATED_MD)
        .collect();
    // Spelled in pieces so that this file does not match itself.
    let outside = [
        ["..", "/shared/"].concat(),
        ["shared", "/data"].concat(),
        ["shared", "/reference"].concat(),
        ["/wo", "rk/"].concat(),
    ];
    let mut problems = Vec::new();
    for file in files.iter().filter(|f| !DATA.iter().any(|d| f.starts_with(d))) {
        let Ok(text) = fs_err::read_to_string(crate::project_root().join(file)) else {
            continue; // binary
        };
        for (number, line) in text.lines().enumerate() {
            let at = format!("{file}:{}", number + 1);
            for pattern in &outside {
                if line.contains(pattern.as_str()) {
                    problems.push(format!("{at}: names a path outside the repository ({pattern})"));
                }
            }
            let tokens = line.split(|c: char| !(c.is_ascii_alphanumeric() || "_.-/".contains(c)));
            for token in tokens.map(|t| t.trim_end_matches('.')) {
                let name = token.rsplit('/').next().unwrap_or(token);
                if name.len() > 3 && name.ends_with(".md") && !markdown.contains(name) {
                    problems.push(format!("{at}: cites `{token}`, which is not in the repository"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nhint: state the fact itself, or copy the data into fixtures/ (sources in \
         fixtures/README.md)",
        problems.join("\n")
    );
}
