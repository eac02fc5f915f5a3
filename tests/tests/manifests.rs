//! The manifests as a user applies them: each kustomization renders with
//! the pinned kubectl's kustomize without a warning (no deprecated field),
//! says what the chapter and issues 5 and 14 ask for (scaling on the
//! server's CPU, a disruption budget that never blocks a drain, soft
//! spreading, the recommended labels with one version), validates strictly
//! against every Kubernetes version from 1.29 to the newest
//! kubernetes-validate knows, passes checkov's policy scan with only the
//! justified skips, and the alerting rules load in promtool.

use std::path::{Path, PathBuf};
use std::process::Command;

use e2e::kustomize::{self, Rendered};
use e2e::{tools, workspace};
use serde_json::Value;

/// The pinned kubectl from the project's venv, whatever else is on PATH:
/// kustomize's output and warnings differ between versions.
fn kubectl(test: &str) -> Option<PathBuf> {
    tools::require(test, &["python3"])?;
    tools::require_pinned(test, &["kubectl"]).map(|t| t[0].clone())
}

fn render_all(kubectl: &Path) -> Vec<Rendered> {
    kustomize::kustomizations()
        .iter()
        .map(|dir| kustomize::render(kubectl, dir))
        .collect()
}

fn pod_spec(r: &Rendered) -> &Value {
    &r.get("Deployment", "time-service")["spec"]["template"]["spec"]
}

fn container<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|l| l.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no container {name} in {list}"))
}

fn env<'a>(container: &'a Value, name: &str) -> &'a str {
    container["env"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["name"] == name))
        .and_then(|e| e["value"].as_str())
        .unwrap_or_else(|| panic!("container {} has no env {name}", container["name"]))
}

/// Seconds in a duration as the binaries read it ("5s", "1m30s", "500ms"):
/// with their own parser, so the manifest means what the binaries will do.
fn seconds(duration: &str) -> f64 {
    time_server::kit::parse_duration(duration)
        .unwrap_or_else(|e| panic!("{e}"))
        .as_secs_f64()
}

#[test]
fn every_kustomization_renders_the_expected_resources() {
    let Some(kubectl) = kubectl("every_kustomization_renders_the_expected_resources") else {
        return;
    };
    for r in render_all(&kubectl) {
        let mut kinds = r.kinds();
        kinds.sort();
        let mut want = vec![
            "Deployment",
            "HorizontalPodAutoscaler",
            "NetworkPolicy",
            "PodDisruptionBudget",
            "Service",
        ];
        if r.dir.ends_with("monitoring") {
            want.extend(["PrometheusRule", "ServiceMonitor"]);
        }
        if r.dir.ends_with("otlp") {
            // The egress to the collector, beside the base's deny-all.
            want.push("NetworkPolicy");
        }
        want.sort();
        assert_eq!(kinds, want, "{}", r.dir);
    }
}

#[test]
fn base_pod_is_the_one_users_are_told_about() {
    let Some(kubectl) = kubectl("base_pod_is_the_one_users_are_told_about") else {
        return;
    };
    let base = kustomize::render(&kubectl, "manifests");
    let template = &base.get("Deployment", "time-service")["spec"]["template"];
    let spec = &template["spec"];
    let annotations = &template["metadata"]["annotations"];

    // `kubectl logs deployment/time-service` shows the server; `-c sidecar` the sidecar.
    let names: Vec<&str> = spec["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["time-server", "sidecar"]);
    assert_eq!(
        annotations["kubectl.kubernetes.io/default-container"],
        "time-server"
    );
    assert_eq!(annotations["prometheus.io/scrape"], "true");
    assert_eq!(annotations["prometheus.io/port"], "8080");
    assert_eq!(annotations["prometheus.io/path"], "/metrics");

    // One image, two commands: the server is the entrypoint, the sidecar is named.
    let server = container(&spec["containers"], "time-server");
    let sidecar = container(&spec["containers"], "sidecar");
    assert_eq!(server["image"], sidecar["image"]);
    assert_eq!(server["command"], Value::Null);
    assert_eq!(
        sidecar["command"],
        serde_json::json!(["/usr/local/bin/log-sidecar"])
    );

    // The shared volume: server writes there, sidecar reads there and keeps its checkpoint beside.
    let volume = &spec["volumes"][0];
    assert_eq!(volume["name"], "logs");
    assert!(
        volume["emptyDir"]["sizeLimit"].is_string(),
        "emptyDir needs a sizeLimit: {volume}"
    );
    for c in [server, sidecar] {
        assert_eq!(
            c["volumeMounts"],
            serde_json::json!([{"name": "logs", "mountPath": "/var/log/time-service"}])
        );
    }
    assert_eq!(
        env(server, "LOG_FILE"),
        "/var/log/time-service/time-service.log"
    );
    assert_eq!(
        env(sidecar, "LOG_PATH"),
        "/var/log/time-service/time-service.log*"
    );
    assert!(env(sidecar, "CHECKPOINT_FILE").starts_with("/var/log/time-service/"));

    // Downward API for the sidecar.
    for (var, field) in [
        ("POD_NAME", "metadata.name"),
        ("POD_NAMESPACE", "metadata.namespace"),
        ("NODE_NAME", "spec.nodeName"),
    ] {
        let e = sidecar["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == var)
            .unwrap_or_else(|| panic!("no {var}"));
        assert_eq!(e["valueFrom"]["fieldRef"]["fieldPath"], field, "{var}");
    }

    // Probes, resources, hardening, for both containers.
    for (c, port) in [(server, "http"), (sidecar, "admin")] {
        let name = &c["name"];
        assert_eq!(c["startupProbe"]["httpGet"]["path"], "/healthz", "{name}");
        assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz", "{name}");
        assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz", "{name}");
        for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
            assert_eq!(c[probe]["httpGet"]["port"], port, "{name} {probe}");
        }
        for kind in ["requests", "limits"] {
            assert!(
                c["resources"][kind]["cpu"].is_string(),
                "{name} {kind}.cpu (the HPA needs CPU requests)"
            );
            assert!(
                c["resources"][kind]["memory"].is_string(),
                "{name} {kind}.memory"
            );
        }
        let sc = &c["securityContext"];
        assert_eq!(sc["runAsNonRoot"], true, "{name}");
        assert_eq!(sc["readOnlyRootFilesystem"], true, "{name}");
        assert_eq!(sc["allowPrivilegeEscalation"], false, "{name}");
        assert_eq!(
            sc["capabilities"]["drop"],
            serde_json::json!(["ALL"]),
            "{name}"
        );
        assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault", "{name}");
    }
    assert_eq!(spec["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        spec["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );

    // The Service of `kubectl port-forward service/time-service 8080`, and the chapter's autoscale.
    let service = &base.get("Service", "time-service")["spec"];
    assert_eq!(service["type"], "ClusterIP");
    assert_eq!(
        service["ports"],
        serde_json::json!([{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}])
    );
    // The HPA owns the replica count: a re-apply must not reset it.
    assert_eq!(
        base.get("Deployment", "time-service")["spec"]["replicas"],
        Value::Null
    );
    // The chapter's `kubectl autoscale --min=1 --max=3 --cpu-percent=80`,
    // on the server container's CPU alone.
    let hpa = &base.get("HorizontalPodAutoscaler", "time-service");
    assert_eq!(hpa["apiVersion"], "autoscaling/v2");
    assert_eq!(hpa["spec"]["minReplicas"], 1);
    assert_eq!(hpa["spec"]["maxReplicas"], 3);
    assert_eq!(
        hpa["spec"]["metrics"],
        serde_json::json!([{
            "type": "ContainerResource",
            "containerResource": {
                "name": "cpu",
                "container": "time-server",
                "target": {"type": "Utilization", "averageUtilization": 80},
            },
        }])
    );
}

#[test]
fn grace_period_covers_shutdown_delay_drain_and_linger() {
    let Some(kubectl) = kubectl("grace_period_covers_shutdown_delay_drain_and_linger") else {
        return;
    };
    let base = kustomize::render(&kubectl, "manifests");
    let spec = pod_spec(&base);
    let server = container(&spec["containers"], "time-server");
    let sidecar = container(&spec["containers"], "sidecar");
    // The server's last line is written by SHUTDOWN_DELAY + DRAIN_TIMEOUT.
    let server_stop =
        seconds(env(server, "SHUTDOWN_DELAY")) + seconds(env(server, "DRAIN_TIMEOUT"));
    // The sidecar must still be following SHUTDOWN_LINGER after that line;
    // it starts its final flush at 3/4 of its DRAIN_TIMEOUT (log-sidecar's
    // pipeline keeps the last quarter in reserve for delivery).
    let sidecar_drain = seconds(env(sidecar, "DRAIN_TIMEOUT"));
    let follow = server_stop + seconds(env(sidecar, "SHUTDOWN_LINGER"));
    assert!(
        follow <= sidecar_drain * 0.75,
        "the sidecar stops following at {}s, before the server's last line + linger ({follow}s)",
        sidecar_drain * 0.75
    );
    let needed = server_stop.max(sidecar_drain);
    let grace = spec["terminationGracePeriodSeconds"]
        .as_f64()
        .expect("grace period is set");
    assert!(
        needed <= grace,
        "stopping takes up to {needed}s but SIGKILL comes after {grace}s"
    );
    assert!(
        grace - needed <= 10.0,
        "grace period {grace}s is far above the {needed}s needed: keep them in step"
    );
}

#[test]
fn empty_dir_holds_the_whole_rotated_log() {
    let Some(kubectl) = kubectl("empty_dir_holds_the_whole_rotated_log") else {
        return;
    };
    let base = kustomize::render(&kubectl, "manifests");
    let spec = pod_spec(&base);
    let server = container(&spec["containers"], "time-server");
    let max_bytes: u64 = env(server, "LOG_MAX_BYTES")
        .parse()
        .expect("LOG_MAX_BYTES in bytes");
    let max_files: u64 = env(server, "LOG_MAX_FILES")
        .parse()
        .expect("LOG_MAX_FILES is a count");
    let limit = spec["volumes"][0]["emptyDir"]["sizeLimit"]
        .as_str()
        .unwrap();
    let limit_bytes: u64 = limit
        .strip_suffix("Mi")
        .expect("sizeLimit in Mi")
        .parse::<u64>()
        .unwrap()
        << 20;
    let worst = max_bytes * (max_files + 1);
    assert!(
        worst < limit_bytes,
        "live log + {max_files} rotations = {worst} bytes do not fit the {limit} volume"
    );
}

#[test]
fn hpa_scales_up_in_one_step_and_down_one_drained_pod_at_a_time() {
    let Some(kubectl) = kubectl("hpa_scales_up_in_one_step_and_down_one_drained_pod_at_a_time")
    else {
        return;
    };
    let base = kustomize::render(&kubectl, "manifests");
    let hpa = &base.get("HorizontalPodAutoscaler", "time-service")["spec"];
    let (min, max) = (
        hpa["minReplicas"].as_u64().unwrap(),
        hpa["maxReplicas"].as_u64().unwrap(),
    );
    let grace = pod_spec(&base)["terminationGracePeriodSeconds"]
        .as_u64()
        .unwrap();
    // Each policy as (pods per period, period); all are counted in pods.
    let policies = |direction: &str| -> Vec<(u64, u64)> {
        hpa["behavior"][direction]["policies"]
            .as_array()
            .unwrap_or_else(|| panic!("behavior.{direction} has policies"))
            .iter()
            .map(|p| {
                assert_eq!(p["type"], "Pods", "{direction}: {p}");
                (
                    p["value"].as_u64().unwrap(),
                    p["periodSeconds"].as_u64().unwrap(),
                )
            })
            .collect()
    };

    let up = &hpa["behavior"]["scaleUp"];
    assert_eq!(up["stabilizationWindowSeconds"], 0, "scale up at once");
    assert_eq!(up["selectPolicy"], "Max");
    let step = policies("scaleUp").iter().map(|p| p.0).max().unwrap();
    assert!(
        min + step >= max,
        "from {min} to {max} replicas takes more than one step of {step}"
    );

    let down = &hpa["behavior"]["scaleDown"];
    assert!(
        down["stabilizationWindowSeconds"].as_u64().unwrap() >= 300,
        "a lull shorter than Kubernetes' default 5 minutes must not remove pods: {down}"
    );
    for (pods, period) in policies("scaleDown") {
        assert_eq!(pods, 1, "scale down one pod at a time");
        assert!(
            period > grace,
            "a pod needs up to {grace}s to drain, but the next may go after {period}s"
        );
    }
}

#[test]
fn disruption_budget_never_blocks_a_drain_and_spreading_never_blocks_scheduling() {
    let Some(kubectl) =
        kubectl("disruption_budget_never_blocks_a_drain_and_spreading_never_blocks_scheduling")
    else {
        return;
    };
    let base = kustomize::render(&kubectl, "manifests");
    let template_labels =
        &base.get("Deployment", "time-service")["spec"]["template"]["metadata"]["labels"];
    let selects_the_pods = |selector: &Value| {
        let labels = selector["matchLabels"].as_object().unwrap();
        !labels.is_empty() && labels.iter().all(|(k, v)| &template_labels[k] == v)
    };
    let hpa = &base.get("HorizontalPodAutoscaler", "time-service")["spec"];
    let (min, max) = (
        hpa["minReplicas"].as_u64().unwrap(),
        hpa["maxReplicas"].as_u64().unwrap(),
    );

    let pdb = &base.get("PodDisruptionBudget", "time-service")["spec"];
    assert!(selects_the_pods(&pdb["selector"]), "{pdb}");
    assert_eq!(
        pdb["minAvailable"],
        Value::Null,
        "minAvailable blocks a drain at 1 replica"
    );
    let max_unavailable = pdb["maxUnavailable"]
        .as_u64()
        .expect("maxUnavailable is a count of pods");
    for replicas in min..=max {
        let evictable = max_unavailable.min(replicas);
        assert!(
            evictable >= 1,
            "a drain waits forever at {replicas} replicas"
        );
        if replicas > 1 {
            assert!(
                replicas - evictable >= 1,
                "a drain may take all {replicas} pods at once"
            );
        }
    }
    assert_eq!(pdb["unhealthyPodEvictionPolicy"], "AlwaysAllow");

    let spread = pod_spec(&base)["topologySpreadConstraints"]
        .as_array()
        .expect("the pod spreads");
    let keys: Vec<&str> = spread
        .iter()
        .map(|c| c["topologyKey"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]
    );
    for c in spread {
        // A preference: one node, no zone labels or a cordoned node never leave a pod Pending.
        assert_eq!(c["whenUnsatisfiable"], "ScheduleAnyway", "{c}");
        assert_eq!(c["maxSkew"], 1, "{c}");
        assert!(selects_the_pods(&c["labelSelector"]), "{c}");
        assert_eq!(
            c["matchLabelKeys"],
            serde_json::json!(["pod-template-hash"])
        );
        assert_eq!(c["nodeTaintsPolicy"], "Honor", "{c}");
    }
}

/// Every label selector in `doc` that selects the service's own pods:
/// `matchLabels` of `selector`, `podSelector` and `labelSelector` objects,
/// and a Service's plain map; not a NetworkPolicy's peers (`to`, `from`),
/// which are other pods.
fn selectors(doc: &Value) -> Vec<&Value> {
    let mut found = Vec::new();
    match doc {
        Value::Object(map) => {
            for (key, value) in map {
                if matches!(key.as_str(), "to" | "from") {
                    continue;
                }
                if matches!(key.as_str(), "selector" | "podSelector" | "labelSelector") {
                    found.push(value.get("matchLabels").unwrap_or(value));
                } else {
                    found.extend(selectors(value));
                }
            }
        }
        Value::Array(list) => list.iter().for_each(|v| found.extend(selectors(v))),
        _ => {}
    }
    found
}

#[test]
fn every_resource_has_the_recommended_labels_and_selectors_only_the_name() {
    let test = "every_resource_has_the_recommended_labels_and_selectors_only_the_name";
    let Some(kubectl) = kubectl(test) else { return };
    // The workspace's version, which the binaries report (time_server_build_info).
    let version = env!("CARGO_PKG_VERSION");
    let recommended = serde_json::json!({
        "app.kubernetes.io/name": "time-service",
        "app.kubernetes.io/part-of": "time-service",
        "app.kubernetes.io/managed-by": "kustomize",
        "app.kubernetes.io/version": version,
    });
    let has_recommended = |labels: &Value, what: &str| {
        for (k, v) in recommended.as_object().unwrap() {
            assert_eq!(&labels[k], v, "{what}: label {k} in {labels}");
        }
    };
    for r in render_all(&kubectl) {
        for doc in &r.docs {
            let what = format!("{}: {} {}", r.dir, doc["kind"], doc["metadata"]["name"]);
            has_recommended(&doc["metadata"]["labels"], &what);
            // Selectors are immutable on a Deployment: a version there would fail every upgrade.
            for selector in selectors(doc) {
                assert_eq!(
                    selector,
                    &serde_json::json!({"app.kubernetes.io/name": "time-service"}),
                    "{what}"
                );
            }
        }
        let spec = &r.get("Deployment", "time-service")["spec"]["template"];
        has_recommended(&spec["metadata"]["labels"], &format!("{}: pods", r.dir));
        for list in ["containers", "initContainers"] {
            for c in spec["spec"][list].as_array().into_iter().flatten() {
                let image = c["image"].as_str().unwrap();
                assert!(
                    image.ends_with(&format!(":{version}")),
                    "{}: {} runs {image}, not version {version}",
                    r.dir,
                    c["name"]
                );
            }
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn image_tag_is_the_version_behind_a_registry_with_a_port() {
    // kustomize runs `replacements` after `images`; were the tag set there,
    // the `:` of `localhost:5000` would be taken for the tag's.
    let test = "image_tag_is_the_version_behind_a_registry_with_a_port";
    let Some(kubectl) = kubectl(test) else { return };
    let dir = tempfile::tempdir().unwrap();
    let manifests = dir.path().join("manifests");
    copy_tree(&workspace::root().join("manifests"), &manifests);
    let file = manifests.join("base/kustomization.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let ours = text.replace(
        "newName: docker.io/example/time-service",
        "newName: localhost:5000/you/time-service",
    );
    assert_ne!(
        ours, text,
        "base/kustomization.yaml names the image elsewhere"
    );
    std::fs::write(&file, ours).unwrap();
    let r = kustomize::render_path(&kubectl, &manifests, "manifests with a port registry");
    let images: Vec<&Value> = pod_spec(&r)["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["image"])
        .collect();
    let want = format!(
        "localhost:5000/you/time-service:{}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(images, [&Value::from(want.clone()), &Value::from(want)]);
}

/// Kustomization fields that kustomize v5 deprecates, each with an empty
/// value it accepts.
const DEPRECATED_FIELDS: &[(&str, &str)] = &[
    ("bases", "[]"),
    ("patchesStrategicMerge", "[]"),
    ("patchesJson6902", "[]"),
    ("commonLabels", "{}"),
    ("vars", "[]"),
    ("imageTags", "[]"),
];

#[test]
fn every_kustomization_builds_without_a_warning() {
    let Some(kubectl) = kubectl("every_kustomization_builds_without_a_warning") else {
        return;
    };
    let version = tools::stdout_of(Command::new(&kubectl).args(["version", "--client"]));
    assert!(
        version.contains("Kustomize Version: v5."),
        "{} is not the pinned kubectl:\n{version}",
        kubectl.display()
    );
    for r in render_all(&kubectl) {
        assert!(
            r.stderr.trim().is_empty(),
            "kubectl kustomize {} warns:\n{}",
            r.dir,
            r.stderr
        );
    }
}

#[test]
fn no_kustomization_uses_a_deprecated_field() {
    let Some(kubectl) = kubectl("no_kustomization_uses_a_deprecated_field") else {
        return;
    };
    // Components too: they are built only as parts of the kustomizations.
    for (dir, doc) in kustomize::kustomization_files() {
        for (field, _) in DEPRECATED_FIELDS {
            assert!(
                doc.get(field).is_none(),
                "{dir}/kustomization.yaml uses the deprecated `{field}`"
            );
        }
    }
    // The list is kustomize's: the pinned kustomize warns about each field,
    // so the test above also catches one used through a path this list misses.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
    )
    .unwrap();
    for (field, empty) in DEPRECATED_FIELDS {
        std::fs::write(
            dir.path().join("kustomization.yaml"),
            format!("resources: [cm.yaml]\n{field}: {empty}\n"),
        )
        .unwrap();
        let r = kustomize::render_path(&kubectl, dir.path(), field);
        assert!(
            r.stderr.contains(&format!("'{field}' is deprecated")),
            "kustomize does not warn about `{field}`: {:?}",
            r.stderr
        );
    }
}

#[test]
fn overlays_change_only_what_they_are_for() {
    let Some(kubectl) = kubectl("overlays_change_only_what_they_are_for") else {
        return;
    };
    let all = render_all(&kubectl);
    let base = &all[0];
    let by_dir = |suffix: &str| all.iter().find(|r| r.dir.ends_with(suffix)).unwrap();

    for (overlay, service_type) in [("nodeport", "NodePort"), ("loadbalancer", "LoadBalancer")] {
        let r = by_dir(overlay);
        assert_eq!(
            r.get("Service", "time-service")["spec"]["type"],
            service_type
        );
        assert_eq!(
            r.get("Deployment", "time-service"),
            base.get("Deployment", "time-service"),
            "{overlay}"
        );
    }

    // Native sidecar: the same container, moved to initContainers with restartPolicy Always.
    let native = pod_spec(by_dir("native-sidecar"));
    let names: Vec<&str> = native["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["time-server"]);
    let mut init = container(&native["initContainers"], "sidecar").clone();
    assert_eq!(init["restartPolicy"], "Always");
    init.as_object_mut().unwrap().remove("restartPolicy");
    assert_eq!(&init, container(&pod_spec(base)["containers"], "sidecar"));

    // The HPA fallback: the chapter's pod-level metric, nothing else changed.
    let fallback = by_dir("hpa-pod-cpu");
    assert_eq!(
        fallback.get("Deployment", "time-service"),
        base.get("Deployment", "time-service")
    );
    let mut want = base.get("HorizontalPodAutoscaler", "time-service").clone();
    want["spec"]["metrics"] = serde_json::json!([{
        "type": "Resource",
        "resource": {
            "name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": 80},
        },
    }]);
    assert_eq!(
        fallback.get("HorizontalPodAutoscaler", "time-service"),
        &want
    );

    otlp_overlay_adds_the_output_its_files_and_exactly_its_egress(base, by_dir("otlp"));

    // Monitoring: both named ports reachable through the Service, pod untouched.
    let mon = by_dir("monitoring");
    assert_eq!(
        mon.get("Deployment", "time-service"),
        base.get("Deployment", "time-service")
    );
    let ports: Vec<&str> = mon.get("Service", "time-service")["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for endpoint in mon.get("ServiceMonitor", "time-service")["spec"]["endpoints"]
        .as_array()
        .unwrap()
    {
        let port = endpoint["port"].as_str().unwrap();
        assert!(
            ports.contains(&port),
            "ServiceMonitor scrapes port {port}, the Service has {ports:?}"
        );
    }
}

/// The `otlp` overlay: the sidecar's OTLP settings, its CA and token files
/// where the ConfigMap and the Secret are mounted, nothing else in the pod
/// changed; egress opened to the endpoint's port and DNS only.
fn otlp_overlay_adds_the_output_its_files_and_exactly_its_egress(base: &Rendered, otlp: &Rendered) {
    let mut pod = otlp.get("Deployment", "time-service").clone();
    let spec = &pod["spec"]["template"]["spec"];
    let sidecar = container(&spec["containers"], "sidecar");
    let endpoint = env(sidecar, "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT");
    let authority = endpoint
        .strip_prefix("https://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("{endpoint} is not an https URL"));
    let port: u64 = authority
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or_else(|| panic!("{endpoint} names no port"));
    assert_eq!(env(sidecar, "SINK_COMPRESSION"), "gzip");

    // Each file the sidecar is told to read is a key of the volume mounted
    // at its directory.
    let volume_of = |file: &str| -> &Value {
        let (dir, name) = file.rsplit_once('/').unwrap();
        let mount = sidecar["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mountPath"] == dir)
            .unwrap_or_else(|| panic!("nothing is mounted at {dir}"));
        assert_eq!(mount["readOnly"], true, "{mount}");
        let volume = spec["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == mount["name"])
            .unwrap();
        let source = volume
            .get("secret")
            .or_else(|| volume.get("configMap"))
            .unwrap_or_else(|| panic!("{volume}"));
        assert!(
            source["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["path"] == name),
            "{volume} has no {name}"
        );
        volume
    };
    assert_eq!(
        volume_of(env(sidecar, "SINK_CA_FILE"))["configMap"]["name"],
        "otlp-ca"
    );
    assert_eq!(
        volume_of(env(sidecar, "SINK_BEARER_TOKEN_FILE"))["secret"]["secretName"],
        "otlp-token"
    );

    // Without what the overlay adds, the pod is the base's.
    let added = |name: &str| name.starts_with("otlp-");
    let template = &mut pod["spec"]["template"]["spec"];
    template["volumes"]
        .as_array_mut()
        .unwrap()
        .retain(|v| !added(v["name"].as_str().unwrap()));
    let sidecar = template["containers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["name"] == "sidecar")
        .unwrap();
    sidecar["volumeMounts"]
        .as_array_mut()
        .unwrap()
        .retain(|m| !added(m["name"].as_str().unwrap()));
    let otlp_env = [
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
        "SINK_COMPRESSION",
        "SINK_CA_FILE",
        "SINK_BEARER_TOKEN_FILE",
        "OTEL_SERVICE_NAME",
        "CONTAINER_NAME",
    ];
    sidecar["env"]
        .as_array_mut()
        .unwrap()
        .retain(|e| !otlp_env.contains(&e["name"].as_str().unwrap()));
    let mut base_pod = base.get("Deployment", "time-service").clone();
    // Env order is not meaning: compare it as a set.
    for pod in [&mut pod, &mut base_pod] {
        for c in pod["spec"]["template"]["spec"]["containers"]
            .as_array_mut()
            .unwrap()
        {
            if let Some(list) = c["env"].as_array_mut() {
                list.sort_by_key(|e| e["name"].as_str().unwrap().to_owned());
            }
        }
    }
    assert_eq!(pod, base_pod);

    // The base still denies all egress; the overlay's policy opens the
    // endpoint's port to the collector's pods and DNS, nothing more.
    assert_eq!(
        otlp.get("NetworkPolicy", "time-service"),
        base.get("NetworkPolicy", "time-service")
    );
    let egress = &otlp.get("NetworkPolicy", "time-service-otlp-egress")["spec"];
    assert_eq!(egress["policyTypes"], serde_json::json!(["Egress"]));
    let rules: Vec<Vec<(u64, &str)>> = egress["egress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| {
            assert!(
                rule["to"].as_array().is_some_and(|to| !to.is_empty()),
                "{rule}: to anywhere"
            );
            rule["ports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p["port"].as_u64().unwrap(), p["protocol"].as_str().unwrap()))
                .collect()
        })
        .collect();
    assert_eq!(rules, [vec![(port, "TCP")], vec![(53, "UDP"), (53, "TCP")]]);
}

/// The newest Kubernetes version kubernetes-validate knows, from its help text.
fn newest_known_minor(validate: &Path) -> u32 {
    let help = tools::stdout_of(Command::new(validate).arg("--help"));
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    let version = flat
        .split("Defaults to ")
        .nth(1)
        .and_then(|rest| {
            rest.split(|c: char| !(c.is_ascii_digit() || c == '.'))
                .next()
        })
        .unwrap_or_else(|| panic!("no default version in kubernetes-validate --help:\n{help}"));
    let minor = version
        .split('.')
        .nth(1)
        .and_then(|m| m.parse().ok())
        .expect("version is 1.N.x");
    assert!(
        minor >= 29,
        "kubernetes-validate only knows up to {version}"
    );
    minor
}

fn write_rendered(dir: &Path, r: &Rendered) -> PathBuf {
    let file = dir.join(format!("{}.yaml", r.dir.replace('/', "_")));
    std::fs::write(&file, &r.yaml).expect("temp dir is writable");
    file
}

#[test]
fn rendered_manifests_validate_strictly_on_kubernetes_1_29_to_newest() {
    let test = "rendered_manifests_validate_strictly_on_kubernetes_1_29_to_newest";
    let Some(kubectl) = kubectl(test) else { return };
    let Some(validate) = tools::require_pinned(test, &["kubernetes-validate"]) else {
        return;
    };
    let newest = newest_known_minor(&validate[0]);
    let dir = tempfile::tempdir().unwrap();
    let rendered = render_all(&kubectl);
    let files: Vec<PathBuf> = rendered
        .iter()
        .map(|r| write_rendered(dir.path(), r))
        .collect();
    for minor in 29..=newest {
        let version = format!("1.{minor}.0");
        let out = Command::new(&validate[0])
            .args(["--strict", "-k", &version])
            .args(&files)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "kubernetes-validate --strict -k {version} failed:\n{text}"
        );
        // Only the Prometheus Operator's CRDs may lack a schema; anything else unchecked is a failure.
        for line in text.lines().filter(|l| !l.starts_with("INFO")) {
            assert!(
                line.contains("Couldn't find schema for kind PrometheusRule")
                    || line.contains("Couldn't find schema for kind ServiceMonitor"),
                "unexpected output for {version}: {line}"
            );
        }
        let passed = text
            .lines()
            .filter(|l| l.starts_with("INFO") && l.contains(" passed for resource "))
            .count();
        let core_docs: usize = rendered
            .iter()
            .map(|r| {
                r.docs
                    .iter()
                    .filter(|d| !d["apiVersion"].as_str().unwrap().contains("coreos"))
                    .count()
            })
            .sum();
        assert_eq!(
            passed, core_docs,
            "every core resource validated against {version}:\n{text}"
        );
    }
}

#[test]
fn strict_validation_catches_a_misspelled_field() {
    // The negative control for the test above: a typo must not pass.
    let test = "strict_validation_catches_a_misspelled_field";
    let Some(kubectl) = kubectl(test) else { return };
    let Some(validate) = tools::require_pinned(test, &["kubernetes-validate"]) else {
        return;
    };
    let base = kustomize::render(&kubectl, "manifests");
    let broken = base.yaml.replace(
        "terminationGracePeriodSeconds:",
        "terminationGracePeriodSecond:",
    );
    assert_ne!(broken, base.yaml);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.yaml");
    std::fs::write(&file, broken).unwrap();
    let out = Command::new(&validate[0])
        .args(["--strict", "-k", "1.29.0"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a misspelled field passed strict validation"
    );
}

/// A temp dir checkov will scan: it silently skips hidden directories,
/// and tempfile's default names (`.tmpXXXX`) are hidden.
fn scan_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("checkov-")
        .tempdir()
        .unwrap()
}

fn checkov(checkov: &Path, dir: &Path) -> std::process::Output {
    // --skip-download and no network namespace access at all: the scan must
    // not talk to checkov's vendor (it tries to, by default).
    Command::new("unshare")
        .arg("--net")
        .arg(checkov)
        .arg("--config-file")
        .arg(workspace::root().join("manifests/checkov.yaml"))
        .args(["--skip-download", "--compact", "-d"])
        .arg(dir)
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .expect("unshare runs")
}

#[test]
fn checkov_finds_nothing_beyond_the_justified_skips() {
    let test = "checkov_finds_nothing_beyond_the_justified_skips";
    let Some(kubectl) = kubectl(test) else { return };
    let Some(pinned) = tools::require_pinned(test, &["checkov"]) else {
        return;
    };
    if tools::require(test, &["unshare"]).is_none() {
        return;
    }
    let checkov_bin = &pinned[0];
    if !tools::is_root() {
        tools::missing(test, "unshare --net (to keep checkov offline) needs root");
        return;
    }
    // Every skip is justified by the comment right above it.
    let config = std::fs::read_to_string(workspace::root().join("manifests/checkov.yaml")).unwrap();
    let lines: Vec<&str> = config.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("- CKV") {
            assert!(
                i > 0 && lines[i - 1].trim_start().starts_with('#'),
                "skip without a justification: {line}"
            );
        }
    }

    let dir = scan_dir();
    for r in render_all(&kubectl) {
        write_rendered(dir.path(), &r);
    }
    let out = checkov(checkov_bin, dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "checkov found problems:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Failed checks: 0"), "{text}");
    let passed: u32 = text
        .split("Passed checks: ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no pass count in:\n{text}"));
    assert!(passed > 100, "checkov ran only {passed} checks:\n{text}");

    // The negative control: drop one hardening setting and the scan must fail.
    let base = kustomize::render(&kubectl, "manifests");
    let weakened = base.yaml.replacen(
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: false",
        1,
    );
    assert_ne!(weakened, base.yaml);
    let dir = scan_dir();
    std::fs::write(dir.path().join("weakened.yaml"), weakened).unwrap();
    let out = checkov(checkov_bin, dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() && text.contains("CKV_K8S_22"),
        "a writable root filesystem passed:\n{text}"
    );
}

#[test]
fn alerting_rules_load_in_promtool_and_fire_on_their_series() {
    let test = "alerting_rules_load_in_promtool_and_fire_on_their_series";
    let Some(kubectl) = kubectl(test) else {
        return;
    };
    let Some(promtool) = tools::require(test, &["promtool"]) else {
        return;
    };
    let mon = kustomize::render(&kubectl, "manifests/overlays/monitoring");
    let rules = &mon.get("PrometheusRule", "time-service")["spec"];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.yaml");
    // JSON is YAML: promtool reads it as a rule file.
    std::fs::write(&file, serde_json::to_string_pretty(rules).unwrap()).unwrap();
    let out = tools::stdout_of(
        Command::new(&promtool[0])
            .args(["check", "rules"])
            .arg(&file),
    );
    let count = rules["groups"][0]["rules"].as_array().unwrap().len();
    assert!(
        out.contains(&format!("SUCCESS: {count} rules found")),
        "{out}"
    );

    // Unit tests of the alerts (series in, alerts out), beside the rule file.
    let cases = dir.path().join("alerts_test.yaml");
    std::fs::copy(
        workspace::root().join("tests/tests/fixtures/alerts_test.yaml"),
        &cases,
    )
    .unwrap();
    let out = tools::stdout_of(
        Command::new(&promtool[0])
            .args(["test", "rules"])
            .arg(&cases),
    );
    assert!(out.contains("SUCCESS"), "{out}");
    let tested = std::fs::read_to_string(&cases).unwrap();
    for rule in rules["groups"][0]["rules"].as_array().unwrap() {
        let name = rule["alert"].as_str().unwrap();
        assert!(
            tested.contains(&format!("alertname: {name}")),
            "alert {name} has no promtool test"
        );
    }
}
