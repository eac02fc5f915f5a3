//! The Dockerfile's dependency-caching layer builds from the manifests
//! alone, with stub sources. It breaks as soon as someone adds a crate, a
//! `[[bench]]` or a `[[test]]` the stubs do not cover, and it cannot be run
//! here (the rust image cannot be pulled), so this test runs the layer's
//! own shell script on copies of the manifests and checks that cargo then
//! finds every workspace member and every target file it declares.

use std::path::Path;
use std::process::Command;

use e2e::{tools, workspace};
use serde_json::Value;

/// The `RUN set -eu; ...` instruction of the builder stage, as the shell
/// would get it (line continuations joined), with its `cargo build` replaced.
fn stub_script(dockerfile: &str, cargo_replacement: &str) -> String {
    let start = dockerfile
        .find("RUN set -eu;")
        .expect("the stub layer's RUN");
    let rest = &dockerfile[start + "RUN ".len()..];
    let mut script = String::new();
    for line in rest.lines() {
        if let Some(continued) = line.strip_suffix('\\') {
            script.push_str(continued);
        } else {
            script.push_str(line);
            break;
        }
    }
    let build = "cargo build --release --locked --target x86_64-unknown-linux-gnu -p time-server -p log-sidecar";
    assert!(
        script.contains(build),
        "the stub layer builds both binaries: {script}"
    );
    // Stop before the layer deletes its stubs, so they can be inspected.
    let script = script.replace(build, cargo_replacement);
    let kept = script.split("rm -rf").next().unwrap();
    kept.trim_end().trim_end_matches(';').to_string()
}

/// The crate directories whose Cargo.toml the Dockerfile copies before the stub layer.
fn copied_manifests(dockerfile: &str) -> Vec<String> {
    dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("COPY "))
        .filter_map(|args| args.split_whitespace().next())
        .filter_map(|src| src.strip_suffix("/Cargo.toml"))
        .map(str::to_string)
        .collect()
}

#[test]
fn dependency_layer_stubs_every_member_and_target() {
    let test = "dependency_layer_stubs_every_member_and_target";
    let Some(found) = tools::require(test, &["cargo", "sh", "awk"]) else {
        return;
    };
    let root = workspace::root();
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();

    // The build context as the layer sees it: root manifest, lockfile, crate manifests.
    let ctx = tempfile::tempdir().unwrap();
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(root.join(file), ctx.path().join(file)).unwrap();
    }
    let crates = copied_manifests(&dockerfile);
    for dir in &crates {
        std::fs::create_dir_all(ctx.path().join(dir)).unwrap();
        std::fs::copy(
            root.join(dir).join("Cargo.toml"),
            ctx.path().join(dir).join("Cargo.toml"),
        )
        .unwrap();
    }

    let metadata_file = ctx.path().join("metadata.json");
    let script = stub_script(
        &dockerfile,
        &format!(
            "cargo metadata --locked --offline --no-deps --format-version 1 > {}",
            metadata_file.display()
        ),
    );
    tools::run_ok(
        Command::new("sh")
            .arg("-c")
            .arg(&script)
            .current_dir(ctx.path())
            .env("CARGO_TARGET_DIR", ctx.path().join("target")),
    );
    let _ = &found;

    let metadata: Value =
        serde_json::from_str(&std::fs::read_to_string(&metadata_file).unwrap()).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    // Every workspace member's manifest is copied (else cargo fails on the workspace).
    for package in packages {
        let manifest = Path::new(package["manifest_path"].as_str().unwrap());
        let dir = manifest
            .parent()
            .unwrap()
            .strip_prefix(ctx.path())
            .unwrap()
            .to_string_lossy()
            .to_string();
        assert!(
            crates.contains(&dir),
            "the Dockerfile does not copy {dir}/Cargo.toml before the stub layer"
        );
        // And every target cargo will look for has a stub file.
        for target in package["targets"].as_array().unwrap() {
            let src = Path::new(target["src_path"].as_str().unwrap());
            assert!(
                src.is_file(),
                "no stub for {} target {} at {}",
                package["name"],
                target["name"],
                src.display()
            );
        }
    }
    let names: Vec<&str> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for binary in ["time-server", "log-sidecar"] {
        assert!(names.contains(&binary), "{names:?}");
    }
}

#[test]
fn dockerignore_keeps_what_the_build_copies() {
    let root = workspace::root();
    let ignore = std::fs::read_to_string(root.join(".dockerignore")).unwrap();
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    let ignored: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .collect();
    for source in dockerfile
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from="))
        .flat_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            parts[1..parts.len() - 1].to_vec()
        })
    {
        let top = source.split('/').next().unwrap();
        assert!(
            !ignored
                .iter()
                .any(|pattern| pattern.trim_end_matches('/') == top),
            ".dockerignore excludes {source}, which the Dockerfile copies"
        );
    }
    assert!(
        ignored.contains(&"target/"),
        "the build context must not carry target/"
    );
}

#[test]
fn builder_image_is_the_workspace_rust_version() {
    // The image compiles with the oldest Rust the workspace promises to
    // support, so a newer-only feature fails the lints here, not a user's build.
    let root = workspace::root();
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let rust_version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("[workspace.package] rust-version");
    let from = dockerfile
        .lines()
        .find(|l| l.starts_with("FROM ") && l.ends_with(" AS builder"))
        .expect("a builder stage");
    assert!(
        from.contains(&format!("/rust:{rust_version}-")),
        "builder stage `{from}` is not Rust {rust_version}"
    );
}
