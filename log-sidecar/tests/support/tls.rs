//! A private CA made by the test and a server certificate it signed for
//! 127.0.0.1 and localhost, as an in-cluster collector would have one: the
//! CA goes to a PEM file for `--sink-ca-file`, the certificate and key to
//! the test receiver's rustls configuration. Made with the `openssl` CLI
//! (scripts/install-test-deps.sh installs it); a missing one skips the test
//! outside CI and fails it under CI.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::test_env;

/// A CA and a server certificate signed by it.
pub struct TestCa {
    /// The CA certificate, PEM, written into the test's directory.
    pub ca_file: PathBuf,
    /// What a receiver presenting the signed certificate serves with.
    pub server: Arc<rustls::ServerConfig>,
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("openssl {args:?}: {e}"));
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl TestCa {
    /// Makes a CA named `name` and a certificate for 127.0.0.1 and
    /// localhost, in `dir` (the CA as `<name>.pem`); `None` when openssl is
    /// missing outside CI.
    pub fn new(test: &str, dir: &Path, name: &str) -> Option<TestCa> {
        if Command::new("openssl").arg("version").output().is_err() {
            test_env::missing(
                test,
                "openssl is not installed (scripts/install-test-deps.sh installs it)",
            );
            return None;
        }
        let ca_pem = format!("{name}.pem");
        let ca_key = format!("{name}.key");
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        openssl(
            dir,
            &[
                &["req", "-x509"][..],
                &ec,
                &[
                    "-keyout",
                    &ca_key,
                    "-out",
                    &ca_pem,
                    "-days",
                    "2",
                    "-subj",
                    &format!("/CN={name}"),
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                ],
            ]
            .concat(),
        );
        openssl(
            dir,
            &[
                &["req"][..],
                &ec,
                &[
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                    "-subj",
                    "/CN=localhost",
                ],
            ]
            .concat(),
        );
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .expect("write the extensions file");
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                &ca_pem,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "server.ext",
            ],
        );
        let chain = CertificateDer::pem_file_iter(dir.join("server.pem"))
            .expect("server.pem")
            .collect::<Result<Vec<_>, _>>()
            .expect("a PEM certificate");
        let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).expect("server.key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("a server configuration");
        Some(TestCa {
            ca_file: dir.join(ca_pem),
            server: Arc::new(server),
        })
    }
}
