//! The shell scripts, linted as CI lints them: every script under
//! `scripts/` and `.ci/` passes shellcheck (Debian's package) at its default
//! severity, following what each script sources, and every check a script
//! turns off says why on the same line.

use std::path::{Path, PathBuf};
use std::process::Command;

use e2e::{tools, workspace};

/// Where the project keeps shell: the scripts and CI's entry point.
const SHELL_DIRS: &[&str] = &["scripts", ".ci"];

/// Whether `path` is a shell script: a `.sh` name, or a `#!` line naming sh or bash.
fn is_shell(path: &Path) -> bool {
    if path.extension().is_some_and(|e| e == "sh") {
        return true;
    }
    let Ok(text) = std::fs::read(path) else {
        return false;
    };
    let first = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    first.strip_prefix("#!").is_some_and(|interp| {
        interp
            .split_whitespace()
            .filter_map(|word| word.rsplit('/').next())
            .any(|name| name == "sh" || name == "bash")
    })
}

/// Every shell script below the `SHELL_DIRS`, relative to the root, sorted.
fn shell_scripts(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs: Vec<PathBuf> = SHELL_DIRS.iter().map(|d| root.join(d)).collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if is_shell(&path) {
                found.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn every_script_passes_shellcheck() {
    let test = "every_script_passes_shellcheck";
    let Some(found) = tools::require(test, &["shellcheck"]) else {
        return;
    };
    let root = workspace::root();
    let scripts = shell_scripts(&root);
    for expected in [".ci/run", "scripts/test.sh", "scripts/common.sh"] {
        assert!(
            scripts.iter().any(|s| s == Path::new(expected)),
            "{expected} not among the scripts found: {scripts:?}"
        );
    }
    let out = Command::new(&found[0])
        .args(["--external-sources", "--source-path=SCRIPTDIR"])
        .args(&scripts)
        .current_dir(&root)
        .output()
        .expect("run shellcheck");
    assert!(
        out.status.success(),
        "shellcheck found problems in {scripts:?} (fix them, or disable a check inline with its reason):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_disabled_check_says_why() {
    let root = workspace::root();
    let mut unexplained = Vec::new();
    for script in shell_scripts(&root) {
        let text = std::fs::read_to_string(root.join(&script)).unwrap();
        for (n, line) in text.lines().enumerate() {
            let Some((_, directive)) = line.split_once("shellcheck disable=") else {
                continue;
            };
            // `# shellcheck disable=SC2086 # why`: the reason follows the codes.
            let reason = directive.split_once('#').map_or("", |(_, why)| why.trim());
            if reason.is_empty() {
                unexplained.push(format!("{}:{}: {line}", script.display(), n + 1));
            }
        }
    }
    assert!(
        unexplained.is_empty(),
        "disabled shellcheck checks without a reason on the same line \
         (`# shellcheck disable=SCnnnn # why`):\n{}",
        unexplained.join("\n")
    );
}

#[test]
fn a_script_is_recognised_by_its_name_or_its_interpreter() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("a.sh", "echo\n", true),
        ("run", "#!/usr/bin/env bash\nset -e\n", true),
        ("hook", "#!/bin/sh\n", true),
        ("report.py", "#!/usr/bin/env python3\n", false),
        ("string_test.go", "package main\n", false),
        ("bash-notes.txt", "#!not a shebang of a shell\n", false),
    ];
    for (name, text, _) in cases {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    for (name, _, shell) in cases {
        assert_eq!(is_shell(&dir.path().join(name)), shell, "{name}");
    }
}
