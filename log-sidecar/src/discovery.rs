//! Which files the `--path` patterns name right now, and which directories
//! to watch for that to change. Discovery only lists paths; recognising
//! what a path holds (a file already followed, renamed, copied, new) is the
//! tailer's, and reading it is the `follow` module's.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The `--path` patterns, checked once, and the paths they must never name.
#[derive(Debug, Clone)]
pub struct Patterns {
    patterns: Vec<String>,
    /// Never followed even when a pattern matches (the checkpoint files).
    exclude: Vec<PathBuf>,
}

/// A `--path` value that is not a valid pattern.
#[derive(Debug, thiserror::Error)]
#[error("invalid path pattern {pattern:?}: {reason}")]
pub struct PatternError {
    /// The pattern as given.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: String,
}

fn match_options() -> glob::MatchOptions {
    glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    }
}

impl Patterns {
    /// Files or glob patterns (`*`, `?`, `[..]`; `*` does not match a
    /// leading dot); `exclude` names paths never to follow.
    pub fn new(patterns: Vec<String>, exclude: Vec<PathBuf>) -> Result<Self, PatternError> {
        for p in &patterns {
            glob::Pattern::new(p).map_err(|e| PatternError {
                pattern: p.clone(),
                reason: e.to_string(),
            })?;
        }
        Ok(Patterns { patterns, exclude })
    }

    /// Every path the patterns match now, each once, in pattern order.
    /// Entries that cannot be read are skipped (and seen again next time).
    pub fn matches(&self) -> Vec<PathBuf> {
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        for pattern in &self.patterns {
            let paths = match glob::glob_with(pattern, match_options()) {
                Ok(paths) => paths,
                Err(e) => {
                    log::warn!("pattern {pattern:?}: {e}");
                    continue;
                }
            };
            for entry in paths {
                match entry {
                    Ok(path) if self.exclude.contains(&path) => {}
                    Ok(path) => {
                        if seen.insert(path.clone()) {
                            found.push(path);
                        }
                    }
                    Err(e) => log::debug!("pattern {pattern:?}: {e}"),
                }
            }
        }
        found
    }

    /// The directories a new match would appear in: each pattern's
    /// directory before its first wildcard.
    pub fn dirs(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.patterns.iter().map(|p| literal_dir(p))
    }
}

/// The directory part of a pattern before its first wildcard (`.` when
/// there is none): where its files live, or begin to.
pub fn literal_dir(pattern: &str) -> PathBuf {
    let path = Path::new(pattern);
    let mut dir = PathBuf::new();
    let components: Vec<_> = path.components().collect();
    for (n, c) in components.iter().enumerate() {
        let s = c.as_os_str().to_string_lossy();
        if n + 1 == components.len() || s.contains(['*', '?', '[']) {
            break;
        }
        dir.push(c);
    }
    if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_dir_stops_at_the_first_wildcard() {
        assert_eq!(
            literal_dir("/var/log/time-service/time-service.log*"),
            Path::new("/var/log/time-service")
        );
        assert_eq!(literal_dir("/var/log/*/x.log"), Path::new("/var/log"));
        assert_eq!(literal_dir("x.log"), Path::new("."));
    }

    #[test]
    fn matches_are_listed_once_without_the_excluded() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.log", "b.log", "ck.json", ".hidden.log"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let base = dir.path().display();
        let patterns = Patterns::new(
            vec![format!("{base}/*.log"), format!("{base}/a.*")],
            vec![dir.path().join("b.log")],
        )
        .unwrap();
        assert_eq!(patterns.matches(), [dir.path().join("a.log")]);
        assert!(Patterns::new(vec!["[".into()], Vec::new()).is_err());
    }
}
