//! https for the HTTP sinks: rustls (ring as its cryptography), trusting
//! either the CAs of a PEM file (`--sink-ca-file`: the scratch image has no
//! CA bundle, and an in-cluster collector's certificate is usually signed
//! by a private CA mounted from a ConfigMap) or, without one, Mozilla's
//! roots bundled into the binary (`webpki-roots`) for public endpoints.
//! TLS 1.2 and 1.3, the server's name checked against its certificate.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

use super::SinkError;

/// Whom an https sink must prove it is to.
#[derive(Debug, Clone, Default)]
pub enum Trust {
    /// Mozilla's roots, bundled.
    #[default]
    WebRoots,
    /// Only the CAs read from a PEM file.
    CaFile(Vec<CertificateDer<'static>>),
}

impl Trust {
    /// The CAs of the PEM file at `path` (one or more `CERTIFICATE`
    /// blocks; anything else in it is skipped).
    pub fn ca_file(path: &Path) -> Result<Self, SinkError> {
        let unusable = |why: String| {
            SinkError::InvalidConfig(format!("--sink-ca-file {}: {why}", path.display()))
        };
        let certificates = CertificateDer::pem_file_iter(path)
            .map_err(|e| unusable(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| unusable(e.to_string()))?;
        if certificates.is_empty() {
            return Err(unusable("no PEM CERTIFICATE in it".into()));
        }
        // Checked now, so that a bad file is a bad flag, not a failure later.
        roots(&certificates).map_err(unusable)?;
        Ok(Trust::CaFile(certificates))
    }
}

fn roots(certificates: &[CertificateDer<'static>]) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for certificate in certificates {
        roots
            .add(certificate.clone())
            .map_err(|e| format!("not a CA certificate rustls can use: {e}"))?;
    }
    Ok(roots)
}

/// The TLS client configuration for `trust`.
pub(crate) fn client_config(trust: &Trust) -> Result<ClientConfig, SinkError> {
    let roots = match trust {
        Trust::WebRoots => RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        },
        Trust::CaFile(certificates) => roots(certificates).map_err(SinkError::InvalidConfig)?,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SinkError::InvalidConfig(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let error = Trust::ca_file(&path).unwrap_err().to_string();
        assert!(error.contains("no PEM CERTIFICATE"), "{error}");
        let error = Trust::ca_file(&dir.path().join("missing.pem"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("missing.pem"), "{error}");
    }

    #[test]
    fn the_bundled_roots_make_a_configuration() {
        let config = client_config(&Trust::WebRoots).expect("a TLS configuration");
        assert!(config.alpn_protocols.is_empty(), "HTTP/1.1 only");
    }
}
