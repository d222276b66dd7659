//! OpenPGP signing of an apt repository's `Release`: `InRelease` (clearsigned) and
//! `Release.gpg` (detached, armored), with an Ed25519 key (rpgp; no RSA, see RUSTSEC-2023-0071).
//!
//! Keys are v4 OpenPGP keys with one EdDSA (Ed25519) primary key that certifies and signs, so
//! GnuPG's `gpgv` (and so apt) of Debian 12 and Ubuntu 20.04 read them. The secret key file has
//! no passphrase: it is protected by its file permissions only, so [`Signer::write_secret`]
//! creates it mode 0600, atomically, and never replaces an existing file. Keep it off shared
//! machines and out of version control.
//!
//! Signatures are deterministic: Ed25519 signatures are, and the signature creation time is the
//! caller's (`SOURCE_DATE_EPOCH`), raised to the key's creation time when earlier (GnuPG
//! rejects a signature older than its key).

use std::fmt;
use std::io::{self, Write as _};
use std::path::Path;

use pgp::composed::{
    ArmorOptions, CleartextSignedMessage, Deserializable as _, DetachedSignature, KeyType,
    SecretKeyParamsBuilder, SignedPublicKey, SignedSecretKey,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{SignatureConfig, SignatureType, Subpacket, SubpacketData};
use pgp::ser::Serialize as _;
use pgp::types::{KeyDetails as _, Password, Timestamp};

/// Why a key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// A secret key file that is not a usable OpenPGP secret key.
    #[error("`{path}` is not a usable OpenPGP secret key: {reason}")]
    BadKey {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
    /// The OpenPGP library failed (generating or signing).
    #[error("OpenPGP: {0}")]
    Pgp(String),
    /// Reading or writing (the message names the file).
    #[error(transparent)]
    Io(#[from] io::Error),
}

fn pgp_error(e: pgp::errors::Error) -> SignError {
    SignError::Pgp(e.to_string())
}

/// A secret signing key.
#[derive(Clone)]
pub struct Signer {
    key: SignedSecretKey,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret material.
        f.debug_struct("Signer").field("fingerprint", &self.fingerprint()).finish()
    }
}

impl Signer {
    /// A new Ed25519 key (primary key certifies and signs, no subkeys, no expiry, no
    /// passphrase) with `user_id`, e.g. `Example Robots <apt@example.org>`.
    pub fn generate(user_id: &str) -> Result<Signer, SignError> {
        let params = SecretKeyParamsBuilder::default()
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .primary_user_id(user_id.to_owned())
            .preferred_hash_algorithms([HashAlgorithm::Sha512, HashAlgorithm::Sha256][..].into())
            .build()
            .map_err(|e| SignError::Pgp(e.to_string()))?;
        let key = params.generate(rand::rngs::OsRng).map_err(pgp_error)?;
        Ok(Signer { key })
    }

    /// Reads a secret key file, ASCII-armored (`gpg --export-secret-keys --armor`) or binary.
    pub fn read(path: &Path) -> Result<Signer, SignError> {
        let bytes = fs_err::read(path)?;
        let bad = |reason: String| SignError::BadKey { path: path.to_owned(), reason };
        let key = if bytes.starts_with(b"-----BEGIN") {
            let text = std::str::from_utf8(&bytes).map_err(|e| bad(e.to_string()))?;
            SignedSecretKey::from_string(text).map_err(|e| bad(e.to_string()))?.0
        } else {
            SignedSecretKey::from_bytes(&bytes[..]).map_err(|e| bad(e.to_string()))?
        };
        key.verify_bindings().map_err(|e| bad(e.to_string()))?;
        let signer = Signer { key };
        // A passphrase-protected key fails here, before anything is published.
        signer.detached(b"probe", 0).map_err(|e| {
            bad(format!("cannot sign with it ({e}); passphrase-protected keys are not supported"))
        })?;
        Ok(signer)
    }

    /// The ASCII-armored secret key.
    pub fn secret_armored(&self) -> Result<String, SignError> {
        self.key.to_armored_string(ArmorOptions::default()).map_err(pgp_error)
    }

    /// Writes the ASCII-armored secret key to `path`: mode 0600, through a temporary file in
    /// the same directory, refusing to replace an existing file.
    pub fn write_secret(&self, path: &Path) -> Result<(), SignError> {
        let text = self.secret_armored()?;
        write_new(path, text.as_bytes(), 0o600)
    }

    /// The public key (certificate), ASCII-armored (`.asc`).
    pub fn public_armored(&self) -> Result<String, SignError> {
        self.public().to_armored_string(ArmorOptions::default()).map_err(pgp_error)
    }

    /// The public key as a binary keyring (`.gpg`), what apt's `Signed-By` and `gpgv --keyring`
    /// read.
    pub fn public_keyring(&self) -> Result<Vec<u8>, SignError> {
        self.public().to_bytes().map_err(pgp_error)
    }

    fn public(&self) -> SignedPublicKey {
        self.key.to_public_key()
    }

    /// The key's fingerprint, uppercase hex (as `gpg` shows it).
    pub fn fingerprint(&self) -> String {
        format!("{:X}", self.key.fingerprint())
    }

    /// The key's creation time, seconds since 1970.
    pub fn created(&self) -> i64 {
        i64::from(self.key.created_at().as_secs())
    }

    fn config(&self, typ: SignatureType, time: i64) -> Result<SignatureConfig, SignError> {
        let secs = time.clamp(self.created(), i64::from(u32::MAX));
        let secs = u32::try_from(secs).unwrap_or(u32::MAX);
        let mut config = SignatureConfig::v4(typ, self.key.algorithm(), HashAlgorithm::Sha512);
        config.hashed_subpackets = vec![
            Subpacket::regular(SubpacketData::SignatureCreationTime(Timestamp::from_secs(secs)))
                .map_err(pgp_error)?,
            Subpacket::regular(SubpacketData::IssuerFingerprint(self.key.fingerprint()))
                .map_err(pgp_error)?,
        ];
        config.unhashed_subpackets = vec![
            Subpacket::regular(SubpacketData::IssuerKeyId(self.key.legacy_key_id()))
                .map_err(pgp_error)?,
        ];
        Ok(config)
    }

    /// `InRelease`: `release` clearsigned, signature made at `time` (seconds since 1970).
    pub fn clearsign(&self, release: &str, time: i64) -> Result<String, SignError> {
        let config = self.config(SignatureType::Text, time)?;
        let message =
            CleartextSignedMessage::new(release, config, &self.key.primary_key, &Password::empty())
                .map_err(pgp_error)?;
        message.to_armored_string(ArmorOptions::default()).map_err(pgp_error)
    }

    /// `Release.gpg`: an armored detached signature over the exact bytes of `release`.
    pub fn detached(&self, release: &[u8], time: i64) -> Result<String, SignError> {
        let config = self.config(SignatureType::Binary, time)?;
        let signature =
            config.sign(&self.key.primary_key, &Password::empty(), release).map_err(pgp_error)?;
        DetachedSignature::new(signature)
            .to_armored_string(ArmorOptions::default())
            .map_err(pgp_error)
    }

    /// Whether `in_release` is a clearsigned text with a valid signature by this key.
    pub fn verifies(&self, in_release: &str) -> bool {
        CleartextSignedMessage::from_string(in_release)
            .is_ok_and(|(message, _)| message.verify(&self.public()).is_ok())
    }
}

/// Writes `bytes` to the new file `path` with `mode`, through a temporary file in the same
/// directory; an existing `path` is an error (`AlreadyExists`).
pub fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), SignError> {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // tempfile creates the file 0600.
    let mut temp = tempfile::Builder::new().prefix(".rosdeb-key.").tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    temp.as_file().sync_all()?;
    temp.persist_noclobber(path).map_err(|e| {
        io::Error::new(e.error.kind(), format!("writing `{}`: {}", path.display(), e.error))
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELEASE: &str = "Origin: o\nLabel: l\nSuite: jammy\nCodename: jammy\n- dash line\n";

    #[test]
    fn keys_round_trip_and_signatures_are_deterministic() {
        let tmp = tempfile::tempdir().unwrap();
        let signer = Signer::generate("Test Repo <repo@example.org>").unwrap();
        assert_eq!(signer.fingerprint().len(), 40);
        assert!(!format!("{signer:?}").contains("PRIVATE"));
        let path = tmp.path().join("secret.asc");
        signer.write_secret(&path).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(fs_err::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let err = signer.write_secret(&path).unwrap_err();
        assert!(matches!(&err, SignError::Io(e) if e.kind() == io::ErrorKind::AlreadyExists));
        let read = Signer::read(&path).unwrap();
        assert_eq!(read.fingerprint(), signer.fingerprint());
        assert!(signer.public_armored().unwrap().starts_with("-----BEGIN PGP PUBLIC KEY BLOCK"));
        assert!(!signer.public_keyring().unwrap().is_empty());

        let time = signer.created() + 10;
        let a = signer.clearsign(RELEASE, time).unwrap();
        assert_eq!(a, read.clearsign(RELEASE, time).unwrap(), "deterministic");
        assert!(a.starts_with("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"), "{a}");
        assert!(a.contains("\n- - dash line\n"), "dash-escaped:\n{a}");
        assert!(read.verifies(&a));
        assert!(!read.verifies(&a.replace("Label: l", "Label: x")));
        let other = Signer::generate("Other").unwrap();
        assert!(!other.verifies(&a));
        let d = signer.detached(RELEASE.as_bytes(), time).unwrap();
        assert_eq!(d, signer.detached(RELEASE.as_bytes(), time).unwrap());
        assert!(d.starts_with("-----BEGIN PGP SIGNATURE-----"));

        fs_err::write(tmp.path().join("junk"), "not a key").unwrap();
        assert!(matches!(Signer::read(&tmp.path().join("junk")), Err(SignError::BadKey { .. })));
    }
}
