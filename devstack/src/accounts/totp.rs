//! TOTP authenticators (RFC 6238) as Cognito runs them: HMAC-SHA1, 30-second steps, 6 digits,
//! and one step of clock drift either way ("within 30 seconds before or after the attempt").
//! A code is accepted once: a later step must be used next.

use rand::RngCore;
use totp_rs::{Algorithm, Secret, Totp};

/// Bytes of a new secret: 32, so the base32 `SecretCode` has 52 characters, as Cognito's do.
const SECRET_BYTES: usize = 32;
/// The step, in seconds.
const STEP_SECS: u64 = 30;
/// Steps of clock drift accepted either way.
const SKEW_STEPS: u16 = 1;

/// Whether `code` has an authenticator code's shape: exactly six digits (`UserCode`).
pub fn is_code_shape(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// A TOTP shared secret. `Debug` prints `[redacted]`; the text leaves only through
/// [`TotpSecret::to_base32`] (`SecretCode`) and [`TotpSecret::otpauth_uri`].
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Why a base32 secret from the configuration was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    /// Not RFC 4648 base32.
    #[error("is not base32 (A-Z and 2-7)")]
    NotBase32,
    /// Under 128 bits, which RFC 4226 forbids.
    #[error("is {0} bytes long; a TOTP secret needs at least 16 (26 base32 characters)")]
    TooShort(usize),
}

impl TotpSecret {
    /// A new random secret.
    pub fn generate() -> Self {
        let mut bytes = vec![0; SECRET_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// A secret written as base32 (the `SecretCode` an authenticator app is given).
    pub fn from_base32(text: &str) -> Result<Self, SecretError> {
        let secret = Secret::try_from_base32(text.trim_end_matches('=').to_ascii_uppercase())
            .map_err(|_| SecretError::NotBase32)?;
        let bytes = secret.as_bytes().to_vec();
        if bytes.len() < 16 {
            return Err(SecretError::TooShort(bytes.len()));
        }
        Ok(Self(bytes))
    }

    /// Base32 without padding: Cognito's `SecretCode`.
    pub fn to_base32(&self) -> String {
        self.totp("account", None).secret().to_base32()
    }

    fn totp(&self, account: &str, issuer: Option<&str>) -> Totp {
        totp_rs::Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_skew(SKEW_STEPS)
            .with_step_duration(STEP_SECS)
            .with_secret(self.0.clone())
            .with_account_name(account)
            .with_issuer(issuer)
            .build_noncompliant()
    }

    /// The Key URI an authenticator app scans: `otpauth://totp/<issuer>:<account>?secret=...
    /// &issuer=...`, label and issuer percent-encoded. A colon cannot stand in either (it
    /// separates them), so one is written as a full stop.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let (issuer, account) = (issuer.replace(':', "."), account.replace(':', "."));
        self.totp(&account, Some(&issuer))
            .to_url()
            .unwrap_or_default()
    }

    /// The step whose code `code` is, within one step of `now` (Unix seconds), if any.
    pub fn matching_step(&self, code: &str, now: u64) -> Option<u64> {
        if !is_code_shape(code) {
            return None;
        }
        self.totp("account", None).check(code, now)
    }

    /// The code for the moment `at` (Unix seconds): what an authenticator app shows.
    pub fn code_at(&self, at: u64) -> String {
        self.totp("account", None).generate(at).to_string()
    }
}

/// A verified authenticator of a user.
#[derive(Debug, Clone)]
pub struct Authenticator {
    /// The shared secret.
    pub secret: TotpSecret,
    /// `FriendlyDeviceName` from VerifySoftwareToken, if given.
    pub device_name: Option<String>,
    /// The last step whose code was accepted: that code, and older ones, are refused.
    pub last_used_step: Option<u64>,
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Not the code of the current step, the one before or the one after.
    Mismatch,
    /// The code of a step already used (the same code sent again, or an older one).
    AlreadyUsed,
}

impl Authenticator {
    /// A newly verified authenticator whose first code (of `step`) was just used.
    pub fn verified(secret: TotpSecret, device_name: Option<String>, step: u64) -> Self {
        Self {
            secret,
            device_name,
            last_used_step: Some(step),
        }
    }

    /// Accepts `code` once, at `now`.
    pub fn accept(&mut self, code: &str, now: u64) -> Result<(), CodeRefusal> {
        let step = self
            .secret
            .matching_step(code, now)
            .ok_or(CodeRefusal::Mismatch)?;
        if self.last_used_step.is_some_and(|used| step <= used) {
            return Err(CodeRefusal::AlreadyUsed);
        }
        self.last_used_step = Some(step);
        Ok(())
    }
}

/// An SVG drawing of a QR code of `text`, to be put in a page as it is (no XML declaration, no
/// style attribute: the pages' CSP allows no inline style). `None` if the text is too long for
/// a QR code.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg")?;
    Some(svg[start..].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret, "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret(b"12345678901234567890".to_vec())
    }

    #[test]
    fn codes_follow_rfc_6238() {
        // RFC 6238 appendix B (SHA-1, 8 digits 94287082 at T=59): the 6-digit code is the last six.
        assert_eq!(rfc_secret().code_at(59), "287082");
        assert_eq!(rfc_secret().code_at(1_111_111_109), "081804");
        assert_eq!(rfc_secret().code_at(1_234_567_890), "005924");
    }

    #[test]
    fn one_step_of_drift_either_way_is_accepted() {
        let secret = rfc_secret();
        let now = 1_111_111_109;
        let step = now / STEP_SECS;
        assert_eq!(secret.matching_step(&secret.code_at(now), now), Some(step));
        assert_eq!(
            secret.matching_step(&secret.code_at(now - 30), now),
            Some(step - 1)
        );
        assert_eq!(
            secret.matching_step(&secret.code_at(now + 30), now),
            Some(step + 1)
        );
        assert_eq!(secret.matching_step(&secret.code_at(now - 60), now), None);
        assert_eq!(secret.matching_step(&secret.code_at(now + 60), now), None);
        assert_eq!(secret.matching_step("12345", now), None);
        assert_eq!(secret.matching_step("12345a", now), None);
        assert_eq!(secret.matching_step(" 081804", now), None);
    }

    #[test]
    fn a_code_is_accepted_once_and_older_steps_never_again() {
        let now = 1_111_111_109;
        let mut authenticator = Authenticator {
            secret: rfc_secret(),
            device_name: None,
            last_used_step: None,
        };
        let code = authenticator.secret.code_at(now);
        assert_eq!(authenticator.accept(&code, now), Ok(()));
        assert_eq!(
            authenticator.accept(&code, now),
            Err(CodeRefusal::AlreadyUsed)
        );
        let previous = authenticator.secret.code_at(now - 30);
        assert_eq!(
            authenticator.accept(&previous, now),
            Err(CodeRefusal::AlreadyUsed)
        );
        assert_eq!(
            authenticator.accept("000000", now + 30),
            Err(CodeRefusal::Mismatch)
        );
        let next = authenticator.secret.code_at(now + 30);
        assert_eq!(authenticator.accept(&next, now + 30), Ok(()));
    }

    #[test]
    fn secrets_round_trip_through_base32_and_redact_their_debug() {
        let secret = TotpSecret::generate();
        let text = secret.to_base32();
        assert_eq!(text.len(), 52, "{text}");
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        );
        assert_eq!(TotpSecret::from_base32(&text), Ok(secret.clone()));
        assert_eq!(
            TotpSecret::from_base32(&text.to_lowercase()),
            Ok(secret.clone())
        );
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(
            TotpSecret::from_base32("not base32 at all!"),
            Err(SecretError::NotBase32)
        );
        assert_eq!(
            TotpSecret::from_base32("JBSWY3DPEHPK3PXP"),
            Err(SecretError::TooShort(10))
        );
    }

    #[test]
    fn the_key_uri_names_issuer_and_account() {
        let secret = TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(
            secret.otpauth_uri("cognito-spa", "demo"),
            "otpauth://totp/cognito-spa:demo?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=cognito-spa"
        );
        let odd = secret.otpauth_uri("my app", "a:b@example.com");
        assert!(
            odd.starts_with("otpauth://totp/my%20app:a.b%40example.com?"),
            "{odd}"
        );
    }

    #[test]
    fn the_qr_code_is_an_inline_svg() {
        let svg = qr_svg("otpauth://totp/cognito-spa:demo?secret=ABC&issuer=cognito-spa").unwrap();
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("style"));
        assert!(qr_svg(&"x".repeat(5000)).is_none());
    }
}
