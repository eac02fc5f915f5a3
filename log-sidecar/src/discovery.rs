//! Which files the `--path` patterns name right now, and which directories
//! to watch for that to change. Discovery only lists paths; recognising
//! what a path holds (a file already followed, renamed, copied, new) is the
//! tailer's, and reading it is the `follow` module's.
//!
//! Directories are listed here, one pattern component at a time, and only
//! single names are matched with the glob crate: its own directory walk
//! panics on a name that is not UTF-8, and anyone who can write to the
//! shared volume can make one. Such a name is matched as UTF-8 with
//! replacement characters, so `*.log` still finds `\xff.log`.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

/// The `--path` patterns, checked once, and the paths they must never name.
#[derive(Debug, Clone)]
pub struct Patterns {
    patterns: Vec<Pattern>,
    /// Never followed even when a pattern matches (the checkpoint files).
    exclude: Vec<PathBuf>,
}

/// One pattern: the directory it starts in and the components after it.
#[derive(Debug, Clone)]
struct Pattern {
    /// The components before the first wildcard (empty: the current
    /// directory, and matches are named relative to it, as given).
    base: PathBuf,
    rest: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Literal(OsString),
    Wildcard(glob::Pattern),
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

/// What one look at the patterns found.
#[derive(Debug, Default)]
pub struct Matches {
    /// Every path matched, each once, in pattern order (names sorted
    /// within a directory).
    pub paths: Vec<PathBuf>,
    /// Directories that could not be listed (other than missing ones):
    /// files in them are not seen until they can be.
    pub unlisted: Vec<(PathBuf, io::Error)>,
}

fn match_options() -> glob::MatchOptions {
    glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    }
}

fn is_wildcard(component: &str) -> bool {
    component.contains(['*', '?', '['])
}

impl Pattern {
    fn parse(text: &str) -> Result<Self, PatternError> {
        let error = |reason: String| PatternError {
            pattern: text.to_owned(),
            reason,
        };
        glob::Pattern::new(text).map_err(|e| error(e.to_string()))?;
        let mut base = PathBuf::new();
        let mut rest = Vec::new();
        for component in Path::new(text).components() {
            let name = component.as_os_str();
            let wild = name.to_str().is_some_and(is_wildcard);
            if rest.is_empty() && !wild {
                base.push(component);
                continue;
            }
            match component {
                Component::Normal(_) if wild => {
                    let glob = glob::Pattern::new(name.to_str().unwrap_or_default())
                        .map_err(|e| error(e.to_string()))?;
                    rest.push(Part::Wildcard(glob));
                }
                Component::Normal(_) => rest.push(Part::Literal(name.to_owned())),
                _ => return Err(error("`.` or `..` after a wildcard".into())),
            }
        }
        // A pattern without a wildcard names one file: its last component
        // is looked up like a match (it may not exist yet).
        if rest.is_empty() {
            if let Some(last) = base.file_name().map(|n| n.to_owned()) {
                base.pop();
                rest.push(Part::Literal(last));
            } else {
                return Err(error("names a directory, not a file".into()));
            }
        }
        Ok(Pattern { base, rest })
    }

    /// Its base directory as a path to open (`.` for the current one).
    fn dir(&self) -> PathBuf {
        if self.base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            self.base.clone()
        }
    }

    /// Walks the pattern's components from its base directory.
    fn walk(&self, found: &mut Vec<PathBuf>, unlisted: &mut Vec<(PathBuf, io::Error)>) {
        let mut level = vec![self.base.clone()];
        for (n, part) in self.rest.iter().enumerate() {
            let last = n + 1 == self.rest.len();
            let mut next = Vec::new();
            for dir in &level {
                match part {
                    Part::Literal(name) => next.push(dir.join(name)),
                    Part::Wildcard(glob) => list(dir, glob, &mut next, unlisted),
                }
            }
            if !last {
                // Only directories lead on (symlinks to them too; the
                // tailer checks where what it opens really is).
                next.retain(|p| p.is_dir());
            }
            level = next;
        }
        found.extend(level);
    }
}

/// Appends the entries of `dir` whose names match `glob`, sorted by name.
/// A missing directory has none; one that cannot be listed is reported.
fn list(
    dir: &Path,
    glob: &glob::Pattern,
    out: &mut Vec<PathBuf>,
    unlisted: &mut Vec<(PathBuf, io::Error)>,
) {
    let listing = if dir.as_os_str().is_empty() {
        std::fs::read_dir(".")
    } else {
        std::fs::read_dir(dir)
    };
    let entries = match listing {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return,
        Err(e) => {
            unlisted.push((dir.to_owned(), e));
            return;
        }
    };
    let mut names: Vec<OsString> = entries
        .filter_map(|entry| entry.ok().map(|e| e.file_name()))
        .filter(|name| glob.matches_with(&name.to_string_lossy(), match_options()))
        .collect();
    names.sort();
    out.extend(names.into_iter().map(|name| dir.join(name)));
}

impl Patterns {
    /// Files or glob patterns (`*`, `?`, `[..]`; `*` does not match a
    /// leading dot); `exclude` names paths never to follow.
    pub fn new(patterns: Vec<String>, exclude: Vec<PathBuf>) -> Result<Self, PatternError> {
        let patterns = patterns
            .iter()
            .map(|p| Pattern::parse(p))
            .collect::<Result<_, _>>()?;
        Ok(Patterns { patterns, exclude })
    }

    /// Checks a pattern without keeping it (for flag validation).
    pub fn check(pattern: &str) -> Result<(), PatternError> {
        Pattern::parse(pattern).map(drop)
    }

    /// Every path the patterns match now, each once, in pattern order,
    /// and the directories that could not be listed.
    pub fn matches(&self) -> Matches {
        let mut all = Vec::new();
        let mut unlisted = Vec::new();
        for pattern in &self.patterns {
            pattern.walk(&mut all, &mut unlisted);
        }
        let mut seen = HashSet::new();
        let paths = all
            .into_iter()
            .filter(|p| !self.exclude.contains(p) && seen.insert(p.clone()))
            .collect();
        Matches { paths, unlisted }
    }

    /// The directories a new match would appear in: each pattern's
    /// directory before its first wildcard.
    pub fn dirs(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.patterns.iter().map(Pattern::dir)
    }
}

/// The directory part of a pattern before its first wildcard (`.` when
/// there is none): where its files live, or begin to. A pattern that
/// [`Patterns::check`] refuses has none, and gets `.`.
pub fn literal_dir(pattern: &str) -> PathBuf {
    Pattern::parse(pattern).map_or_else(|_| PathBuf::from("."), |p| p.dir())
}

#[cfg(test)]
mod tests {
    use std::os::unix::ffi::OsStrExt;

    use super::*;

    #[test]
    fn literal_dir_stops_at_the_first_wildcard() {
        assert_eq!(
            literal_dir("/var/log/time-service/time-service.log*"),
            Path::new("/var/log/time-service")
        );
        assert_eq!(literal_dir("/var/log/*/x.log"), Path::new("/var/log"));
        assert_eq!(literal_dir("x.log"), Path::new("."));
        assert_eq!(literal_dir("*.log"), Path::new("."));
        assert_eq!(literal_dir("logs/a.log"), Path::new("logs"));
        let patterns = Patterns::new(vec!["/l/*/a.log".into(), "b.log".into()], Vec::new());
        let dirs: Vec<_> = patterns.unwrap().dirs().collect();
        assert_eq!(dirs, [Path::new("/l"), Path::new(".")]);
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
        assert_eq!(patterns.matches().paths, [dir.path().join("a.log")]);
        assert!(Patterns::new(vec!["[".into()], Vec::new()).is_err());
        assert!(Patterns::check("/var/log/[").is_err());
        assert!(Patterns::check("/").is_err(), "a directory is not a file");
    }

    #[test]
    fn wildcards_in_directories_and_names_that_are_not_utf8() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["a", "b", ".c"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
            std::fs::write(dir.path().join(sub).join("x.log"), "").unwrap();
        }
        let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"\xff.log"));
        std::fs::write(&odd, "").unwrap();
        std::fs::write(dir.path().join(std::ffi::OsStr::from_bytes(b"\xfe")), "").unwrap();
        let base = dir.path().display();
        let patterns = Patterns::new(
            vec![
                format!("{base}/*/x.log"),
                format!("{base}/*.log"),
                format!("{base}/missing/*.log"),
                format!("{base}/later.log"),
            ],
            Vec::new(),
        )
        .unwrap();
        let found = patterns.matches();
        assert_eq!(
            found.paths,
            [
                dir.path().join("a/x.log"),
                dir.path().join("b/x.log"),
                odd,
                dir.path().join("later.log"),
            ]
        );
        assert!(found.unlisted.is_empty());
    }
}
