//! `[user_pool]`: the pool's id and the account settings the template sets on the deployed pool
//! (sign-up, MFA, password policy, temporary passwords), with their validation.

use serde::Deserialize;

pub use crate::accounts::PasswordPolicy;

/// `[user_pool]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPoolConfig {
    /// `<region>_<suffix>`, e.g. `us-east-1_DevStack01`.
    pub id: String,
    /// e.g. `us-east-1`.
    pub region: String,
    /// Whether anyone may create an account (the managed login's sign-up page and `SignUp`).
    /// Off means Cognito's `AllowAdminCreateUserOnly`: administrators create users.
    #[serde(default)]
    pub allow_self_sign_up: bool,
    /// TOTP multi-factor authentication: `OFF`, `OPTIONAL` or `ON` (Cognito's
    /// `MfaConfiguration`; the only factor is an authenticator app).
    #[serde(default)]
    pub mfa: MfaConfiguration,
    /// Rules every new password must meet.
    #[serde(default)]
    pub password_policy: PasswordPolicy,
    /// How long a temporary password (from `[[users]] temporary_password` or AdminCreateUser)
    /// works for the first sign-in: 1 to 365 days (Cognito's default 7).
    #[serde(default = "default_temporary_password_days")]
    pub temporary_password_validity_days: u16,
    /// The pool's groups (AdminAddUserToGroup names one); every group a `[[users]]` entry
    /// names is one too.
    #[serde(default)]
    pub groups: Vec<String>,
}

fn default_temporary_password_days() -> u16 {
    7
}

/// The pool's `MfaConfiguration`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MfaConfiguration {
    /// No second factor.
    #[default]
    Off,
    /// Users who set up an authenticator are asked for its code.
    Optional,
    /// Every user needs an authenticator: one without is asked to set it up at sign-in.
    On,
}

impl MfaConfiguration {
    /// Cognito's spelling: `OFF`, `OPTIONAL`, `ON`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "OFF",
            Self::Optional => "OPTIONAL",
            Self::On => "ON",
        }
    }
}

impl UserPoolConfig {
    /// Checks the pool's id against its region and the account settings against Cognito's
    /// bounds; the error is `(field, reason)`.
    pub(super) fn validate(&self) -> Result<(), (String, String)> {
        let region = &self.region;
        let region_ok = !region.is_empty()
            && region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !region_ok {
            return Err((
                "user_pool.region".into(),
                format!("{region:?} is not a region name like \"us-east-1\""),
            ));
        }
        let suffix_ok = self
            .id
            .strip_prefix(region.as_str())
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()));
        if !suffix_ok {
            return Err((
                "user_pool.id".into(),
                format!(
                    "{:?} must be \"{region}_\" followed by letters and digits, e.g. \"{region}_DevStack01\"",
                    self.id
                ),
            ));
        }
        self.password_policy
            .check_bounds()
            .map_err(|reason| ("user_pool.password_policy.minimum_length".into(), reason))?;
        if !(1..=365).contains(&self.temporary_password_validity_days) {
            return Err((
                "user_pool.temporary_password_validity_days".into(),
                format!(
                    "{} is outside Cognito's bounds of 1 to 365 days",
                    self.temporary_password_validity_days
                ),
            ));
        }
        Ok(())
    }

    /// Seconds a temporary password works.
    pub fn temporary_password_lifetime_secs(&self) -> u64 {
        u64::from(self.temporary_password_validity_days) * 24 * 60 * 60
    }
}
