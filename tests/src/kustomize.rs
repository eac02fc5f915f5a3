//! The manifests as a cluster would receive them: `kubectl kustomize` of
//! the base and of each overlay, and the same documents as JSON values so
//! tests can assert on fields (YAML is read by Python's PyYAML, which
//! kubernetes-validate already depends on, rather than a second YAML stack).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::workspace;

/// Every `kustomization.yaml` under `manifests/` (kustomizations and
/// components), as its directory relative to the workspace root and its
/// parsed document, sorted by directory.
pub fn kustomization_files() -> Vec<(String, Value)> {
    let root = workspace::root();
    let mut found = Vec::new();
    let mut dirs = vec![root.join("manifests")];
    while let Some(dir) = dirs.pop() {
        let file = dir.join("kustomization.yaml");
        if file.is_file() {
            let text = std::fs::read_to_string(&file).expect("kustomization.yaml is readable");
            let relative = dir.strip_prefix(&root).expect("under the root");
            let relative = relative.to_str().expect("UTF-8 paths").to_string();
            found.push((relative, yaml_to_json(&text).swap_remove(0)));
        }
        for entry in std::fs::read_dir(&dir).expect("manifests/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// Every kustomization users apply, relative to the workspace root, the
/// top one (`manifests`, the base) first: components are parts of those,
/// not applied alone. Found rather than listed, so a new overlay is
/// rendered, validated and scanned by every test without being registered
/// anywhere.
pub fn kustomizations() -> Vec<String> {
    let found: Vec<String> = kustomization_files()
        .into_iter()
        .filter(|(_, doc)| doc["kind"] == "Kustomization")
        .map(|(dir, _)| dir)
        .collect();
    assert_eq!(found.first().map(String::as_str), Some("manifests"));
    found
}

/// One rendered kustomization.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The kustomization's directory, relative to the root.
    pub dir: String,
    /// `kubectl kustomize` output.
    pub yaml: String,
    /// What kustomize said besides (its deprecation warnings go here).
    pub stderr: String,
    /// The same documents, parsed.
    pub docs: Vec<Value>,
}

impl Rendered {
    /// The document of `kind` named `name`; panics if there is none.
    pub fn get(&self, kind: &str, name: &str) -> &Value {
        self.docs
            .iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{}: no {kind} named {name}", self.dir))
    }

    /// The kinds rendered, in order.
    pub fn kinds(&self) -> Vec<String> {
        self.docs
            .iter()
            .map(|d| d["kind"].as_str().unwrap_or("?").to_string())
            .collect()
    }
}

/// Renders `dir` (relative to the workspace root) with `kubectl kustomize`;
/// panics with kubectl's message on failure.
pub fn render(kubectl: &Path, dir: &str) -> Rendered {
    render_path(kubectl, &workspace::root().join(dir), dir)
}

/// Renders the kustomization at `path`, named `dir` in messages.
pub fn render_path(kubectl: &Path, path: &Path, dir: &str) -> Rendered {
    let out = Command::new(kubectl)
        .arg("kustomize")
        .arg(path)
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "kubectl kustomize {dir} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = String::from_utf8(out.stdout).expect("kustomize prints UTF-8");
    let docs = yaml_to_json(&yaml);
    Rendered {
        dir: dir.to_string(),
        yaml,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        docs,
    }
}

/// Parses a multi-document YAML stream into JSON values.
pub fn yaml_to_json(yaml: &str) -> Vec<Value> {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(sys.stdin) if d is not None], sys.stdout)",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (kubernetes-validate needs it too)");
    child
        .stdin
        .take()
        .expect("stdin was piped")
        .write_all(yaml.as_bytes())
        .expect("python3 reads its stdin");
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(
        out.status.success(),
        "YAML to JSON failed (is PyYAML installed?):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python's json.dump output is JSON")
}

/// Turns JSON documents back into a YAML stream (JSON is YAML), one
/// document per `---`, for tools that read files.
pub fn to_yaml_stream(docs: &[Value]) -> String {
    docs.iter()
        .map(|d| {
            format!(
                "---\n{}\n",
                serde_json::to_string_pretty(d).expect("a Value serializes")
            )
        })
        .collect()
}
