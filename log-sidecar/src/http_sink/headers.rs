//! Request headers whose values live in files (`--sink-header-file
//! NAME=PATH`, `--sink-bearer-token-file PATH`): a token mounted from a
//! Kubernetes Secret, never in a flag, an environment variable, the log or
//! the metrics. A Secret's files change under a running pod (rotation), so
//! they are read again every so often and right after the sink refused
//! the credentials; a file that cannot be read again keeps its last value.
//! Values are marked sensitive, so no `Debug` of a request shows them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hyper::header::{HeaderName, HeaderValue, AUTHORIZATION};
use tokio::time::Instant;

use super::SinkError;

/// How often the files are read again, at most, while requests flow.
pub(crate) const RELOAD_EVERY: Duration = Duration::from_secs(10);

/// One header read from a file.
#[derive(Clone)]
pub struct HeaderFile {
    name: HeaderName,
    /// Put before the file's content (`Bearer `).
    prefix: &'static str,
    path: PathBuf,
    value: HeaderValue,
}

/// Never the value.
impl fmt::Debug for HeaderFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeaderFile")
            .field("name", &self.name)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl HeaderFile {
    /// `NAME=PATH` (`--sink-header-file`): header NAME, the file's content
    /// as its value. Reads the file now.
    pub fn parse(spec: &str) -> Result<Self, SinkError> {
        let (name, path) = spec.split_once('=').ok_or_else(|| {
            SinkError::InvalidConfig(format!(
                "--sink-header-file {spec:?}: expected NAME=PATH, e.g. X-Scope-OrgID=/etc/sink/tenant"
            ))
        })?;
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
            SinkError::InvalidConfig(format!("--sink-header-file: {name:?} is not a header name"))
        })?;
        HeaderFile::read(name, "", Path::new(path.trim()))
    }

    /// `Authorization: Bearer <the file's content>`
    /// (`--sink-bearer-token-file`). Reads the file now.
    pub fn bearer_token(path: &Path) -> Result<Self, SinkError> {
        HeaderFile::read(AUTHORIZATION, "Bearer ", path)
    }

    fn read(name: HeaderName, prefix: &'static str, path: &Path) -> Result<Self, SinkError> {
        let value = value_of(prefix, path)?;
        Ok(HeaderFile {
            name,
            prefix,
            path: path.to_owned(),
            value,
        })
    }

    /// The header's name.
    pub fn name(&self) -> &HeaderName {
        &self.name
    }
}

/// The file's content, surrounding whitespace (a trailing newline) dropped,
/// after `prefix`, as a sensitive header value. Errors name the file, never
/// what is in it.
fn value_of(prefix: &str, path: &Path) -> Result<HeaderValue, SinkError> {
    let content = std::fs::read(path).map_err(|e| {
        SinkError::InvalidConfig(format!("cannot read header file {}: {e}", path.display()))
    })?;
    let content = content.trim_ascii();
    if content.is_empty() {
        return Err(SinkError::InvalidConfig(format!(
            "header file {} is empty",
            path.display()
        )));
    }
    let mut value = prefix.as_bytes().to_vec();
    value.extend_from_slice(content);
    let mut value = HeaderValue::from_bytes(&value).map_err(|_| {
        SinkError::InvalidConfig(format!(
            "header file {} holds a line break or control character: not a header value",
            path.display()
        ))
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Every header file of a sink, and when they were last read.
#[derive(Debug)]
pub(crate) struct Headers {
    files: Vec<HeaderFile>,
    read_at: Option<Instant>,
    /// A file that could not be read again, already said.
    stale: bool,
}

impl Headers {
    pub(crate) fn new(files: Vec<HeaderFile>) -> Self {
        Headers {
            files,
            read_at: None,
            stale: false,
        }
    }

    /// The headers to send now: read again if they were last read
    /// [`RELOAD_EVERY`] ago or `force` (the sink refused them).
    pub(crate) fn current(
        &mut self,
        force: bool,
    ) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        let now = Instant::now();
        let due = self
            .read_at
            .is_none_or(|at| force || now.duration_since(at) >= RELOAD_EVERY);
        if due && !self.files.is_empty() {
            self.reload();
            self.read_at = Some(now);
        }
        self.files.iter().map(|f| (&f.name, &f.value))
    }

    fn reload(&mut self) {
        let mut failed = false;
        for file in &mut self.files {
            match value_of(file.prefix, &file.path) {
                Ok(value) => file.value = value,
                Err(e) => {
                    failed = true;
                    if !self.stale {
                        log::warn!("{e}; sending its last value");
                    }
                }
            }
        }
        self.stale = failed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &Path, name: &str, content: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn values_come_from_files_trimmed_and_sensitive() {
        let dir = tempfile::tempdir().unwrap();
        let token = file(dir.path(), "token", "s3cr3t\n");
        let bearer = HeaderFile::bearer_token(&token).unwrap();
        assert_eq!(bearer.name(), AUTHORIZATION);
        assert_eq!(bearer.value, "Bearer s3cr3t");
        assert!(bearer.value.is_sensitive());
        assert!(!format!("{bearer:?}").contains("s3cr3t"));

        let tenant = file(dir.path(), "tenant", "  team-a ");
        let header = HeaderFile::parse(&format!("X-Scope-OrgID={}", tenant.display())).unwrap();
        assert_eq!(header.name().as_str(), "x-scope-orgid");
        assert_eq!(header.value, "team-a");
    }

    #[test]
    fn bad_specs_and_files_are_refused_without_showing_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let two_lines = file(dir.path(), "two", "s3cr3t\nmore");
        let empty = file(dir.path(), "empty", "\n");
        for spec in [
            "no-equals-sign".to_owned(),
            format!("bad name={}", two_lines.display()),
            format!("X-A={}", two_lines.display()),
            format!("X-A={}", empty.display()),
            format!("X-A={}", dir.path().join("missing").display()),
        ] {
            let error = HeaderFile::parse(&spec).unwrap_err().to_string();
            assert!(!error.contains("s3cr3t"), "{error}");
            assert!(!error.contains('\n'), "{error}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn files_are_read_again_when_due_or_forced_and_a_lost_file_keeps_its_value() {
        let dir = tempfile::tempdir().unwrap();
        let token = file(dir.path(), "token", "one");
        let mut headers = Headers::new(vec![HeaderFile::bearer_token(&token).unwrap()]);
        let value = |headers: &mut Headers, force| {
            let (_, v) = headers.current(force).next().unwrap();
            v.to_str().unwrap().to_owned()
        };
        assert_eq!(value(&mut headers, false), "Bearer one");
        std::fs::write(&token, "two").unwrap();
        assert_eq!(value(&mut headers, false), "Bearer one", "not due yet");
        assert_eq!(value(&mut headers, true), "Bearer two", "forced");
        std::fs::write(&token, "three").unwrap();
        tokio::time::sleep(RELOAD_EVERY).await;
        assert_eq!(value(&mut headers, false), "Bearer three", "due");
        std::fs::remove_file(&token).unwrap();
        assert_eq!(value(&mut headers, true), "Bearer three", "kept");
    }
}
