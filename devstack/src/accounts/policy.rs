//! The pool's password policy (Cognito's `PasswordPolicyType`) and the check Cognito applies to
//! every new password: sign-up, a temporary password, its replacement, a reset, a change.

use serde::Deserialize;

/// The symbols Cognito counts (its developer guide, "Adding user pool password requirements");
/// a space counts as a symbol too.
const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

/// The longest password Cognito accepts (`PasswordType`: at most 256 characters).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// `[user_pool.password_policy]`. Absent fields take Cognito's defaults: 8 characters and all
/// four character classes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicy {
    /// 6 to 99.
    #[serde(default = "default_minimum_length")]
    pub minimum_length: u8,
    /// At least one of A-Z.
    #[serde(default = "yes")]
    pub require_uppercase: bool,
    /// At least one of a-z.
    #[serde(default = "yes")]
    pub require_lowercase: bool,
    /// At least one of 0-9.
    #[serde(default = "yes")]
    pub require_numbers: bool,
    /// At least one of Cognito's symbols.
    #[serde(default = "yes")]
    pub require_symbols: bool,
}

fn default_minimum_length() -> u8 {
    8
}

fn yes() -> bool {
    true
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            minimum_length: default_minimum_length(),
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
        }
    }
}

/// One rule of the policy that a password breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRule {
    /// Shorter than the minimum length.
    Length(u8),
    /// No uppercase letter.
    Uppercase,
    /// No lowercase letter.
    Lowercase,
    /// No digit.
    Number,
    /// No symbol.
    Symbol,
}

impl PasswordRule {
    /// Cognito's words for the rule in `InvalidPasswordException` (observed; AWS sends one rule
    /// per message).
    pub fn cognito_message(self) -> &'static str {
        match self {
            Self::Length(_) => "Password not long enough",
            Self::Uppercase => "Password must have uppercase characters",
            Self::Lowercase => "Password must have lowercase characters",
            Self::Number => "Password must have numeric characters",
            Self::Symbol => "Password must have symbol characters",
        }
    }

    /// The rule as the managed login pages say it: what the password needs.
    pub fn requirement(self) -> String {
        match self {
            Self::Length(n) => format!("at least {n} characters"),
            Self::Uppercase => "an uppercase letter".into(),
            Self::Lowercase => "a lowercase letter".into(),
            Self::Number => "a number".into(),
            Self::Symbol => "a symbol such as ! @ # $ % ^ & *".into(),
        }
    }
}

impl PasswordPolicy {
    /// Every rule the password breaks, in the order the policy lists them; empty when it passes.
    pub fn violations(&self, password: &str) -> Vec<PasswordRule> {
        let has = |test: fn(char) -> bool| password.chars().any(test);
        let checks = [
            (
                password.chars().count() < usize::from(self.minimum_length),
                PasswordRule::Length(self.minimum_length),
            ),
            (
                self.require_uppercase && !has(|c| c.is_ascii_uppercase()),
                PasswordRule::Uppercase,
            ),
            (
                self.require_lowercase && !has(|c| c.is_ascii_lowercase()),
                PasswordRule::Lowercase,
            ),
            (
                self.require_numbers && !has(|c| c.is_ascii_digit()),
                PasswordRule::Number,
            ),
            (
                self.require_symbols && !has(|c| SYMBOLS.contains(c)),
                PasswordRule::Symbol,
            ),
        ];
        checks
            .into_iter()
            .filter_map(|(broken, rule)| broken.then_some(rule))
            .collect()
    }

    /// Every rule of the policy, as the pages list them under a password field.
    pub fn requirements(&self) -> Vec<String> {
        // The rules a password with no characters at all breaks are exactly the policy's rules.
        self.violations("")
            .into_iter()
            .map(PasswordRule::requirement)
            .collect()
    }

    /// Cognito's own bounds for the policy (`MinimumLength` 6 to 99).
    pub fn check_bounds(&self) -> Result<(), String> {
        if (6..=99).contains(&self.minimum_length) {
            Ok(())
        } else {
            Err(format!(
                "{} is outside Cognito's bounds of 6 to 99",
                self.minimum_length
            ))
        }
    }
}

/// Whether a password has `PasswordType`'s shape: 1 to 256 characters, no leading or trailing
/// white space. A password outside it is `InvalidParameterException`, not a policy failure.
pub fn has_password_shape(password: &str) -> bool {
    !password.is_empty()
        && password.chars().count() <= MAX_PASSWORD_CHARS
        && password.trim() == password
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_meeting_every_rule_passes() {
        assert_eq!(PasswordPolicy::default().violations("Demo-Passw0rd!"), []);
        // A space is one of Cognito's symbols.
        assert_eq!(PasswordPolicy::default().violations("Demo Passw0rd"), []);
    }

    #[test]
    fn every_broken_rule_is_named_in_the_policy_order() {
        let policy = PasswordPolicy {
            minimum_length: 12,
            ..PasswordPolicy::default()
        };
        assert_eq!(
            policy.violations("abc"),
            [
                PasswordRule::Length(12),
                PasswordRule::Uppercase,
                PasswordRule::Number,
                PasswordRule::Symbol
            ]
        );
        assert_eq!(
            policy.violations("ABCDEFGHIJKL1!"),
            [PasswordRule::Lowercase]
        );
        assert_eq!(
            PasswordRule::Length(12).cognito_message(),
            "Password not long enough"
        );
        assert_eq!(
            PasswordRule::Symbol.cognito_message(),
            "Password must have symbol characters"
        );
    }

    #[test]
    fn rules_that_are_off_are_not_checked() {
        let policy = PasswordPolicy {
            minimum_length: 6,
            require_uppercase: false,
            require_lowercase: true,
            require_numbers: false,
            require_symbols: false,
        };
        assert_eq!(policy.violations("simple"), []);
        assert_eq!(
            policy.requirements(),
            ["at least 6 characters", "a lowercase letter"]
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let policy = PasswordPolicy {
            minimum_length: 8,
            ..PasswordPolicy::default()
        };
        // 7 characters, 9 bytes.
        assert_eq!(policy.violations("Ää-B1cd"), [PasswordRule::Length(8)]);
    }

    #[test]
    fn shape_and_bounds() {
        assert!(has_password_shape("Demo-Passw0rd!"));
        assert!(!has_password_shape(""));
        assert!(!has_password_shape(" Demo-Passw0rd!"));
        assert!(!has_password_shape("Demo-Passw0rd! "));
        assert!(!has_password_shape(&"a".repeat(MAX_PASSWORD_CHARS + 1)));
        assert!(PasswordPolicy::default().check_bounds().is_ok());
        let short = PasswordPolicy {
            minimum_length: 5,
            ..PasswordPolicy::default()
        };
        assert!(short.check_bounds().unwrap_err().contains("6 to 99"));
    }
}
