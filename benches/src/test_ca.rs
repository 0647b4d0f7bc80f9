//! A certificate authority made at run time, for serving a key set over
//! HTTPS on 127.0.0.1 with the TLS and certificate-store work of a real
//! fetch.
//!
//! The chain has Cognito's shape: an RSA-2048 root, an RSA-2048
//! intermediate and an RSA-2048 server certificate for `127.0.0.1` and
//! `localhost`; the server sends the server certificate and the
//! intermediate, so a client checks two certificate signatures and the
//! handshake's, as it does against `cognito-idp.<region>.amazonaws.com`.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, PKCS_RSA_SHA256, RsaKeySize,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A root CA, and the TLS configuration of a server whose certificate it
/// issued (through an intermediate).
#[derive(Debug)]
pub struct TestCa {
    root_der: CertificateDer<'static>,
    root_pem: String,
    server_config: Arc<ServerConfig>,
}

impl TestCa {
    /// Generate the three keys and certificates (RSA key generation takes
    /// a few hundred milliseconds).
    ///
    /// # Errors
    /// When a key cannot be generated or a certificate signed.
    pub fn new() -> Result<Self, String> {
        let generate = || {
            KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)
                .map_err(|e| format!("cannot generate an RSA key: {e}"))
        };
        let signing = |e: rcgen::Error| format!("cannot sign a certificate: {e}");

        let mut root = CertificateParams::default();
        root.distinguished_name = name("cognito-jwt benches test root CA");
        root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let root = CertifiedIssuer::self_signed(root, generate()?).map_err(signing)?;

        let mut intermediate = CertificateParams::default();
        intermediate.distinguished_name = name("cognito-jwt benches test intermediate CA");
        intermediate.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        intermediate.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        intermediate.use_authority_key_identifier_extension = true;
        let intermediate =
            CertifiedIssuer::signed_by(intermediate, generate()?, &root).map_err(signing)?;

        let mut server =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .map_err(signing)?;
        server.distinguished_name = name("127.0.0.1");
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server.use_authority_key_identifier_extension = true;
        let server_key = generate()?;
        let server_cert = server
            .signed_by(&server_key, &intermediate)
            .map_err(signing)?;

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let server_config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|builder| {
                builder.with_no_client_auth().with_single_cert(
                    vec![server_cert.der().clone(), intermediate.der().clone()],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
                )
            })
            .map_err(|e| format!("cannot configure the server's TLS: {e}"))?;

        let root_der = root.der().clone();
        let root_pem = pem_certificate(&root_der);
        Ok(Self {
            root_der,
            root_pem,
            server_config: Arc::new(server_config),
        })
    }

    /// The root certificate, DER.
    pub fn root_der(&self) -> &[u8] {
        &self.root_der
    }

    /// The root certificate, PEM (for a CA bundle or `NODE_EXTRA_CA_CERTS`).
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// The TLS configuration of a server for `127.0.0.1` and `localhost`.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.server_config)
    }
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}

/// A certificate in PEM, 64 base64 characters a line.
fn pem_certificate(der: &[u8]) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}
