//! The pool's users, with argon2-hashed passwords (the config's plain text is dropped at start).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::config::UserConfig;

/// A user as the stand-in keeps them.
#[derive(Debug, Clone)]
pub struct User {
    /// The sign-in name (`cognito:username`, `username`).
    pub username: String,
    /// A UUID, stable for a pool id and username so sessions survive restarts.
    pub sub: String,
    /// The `email` attribute.
    pub email: String,
    /// `email_verified`.
    pub email_verified: bool,
    /// Group names (`cognito:groups`).
    pub groups: Vec<String>,
    password_hash: String,
}

/// All users of the pool.
#[derive(Debug)]
pub struct UserStore {
    users: Vec<User>,
    /// Verified against when the username is unknown, so both failures take the same time.
    decoy_hash: String,
}

/// The password hasher failed (it does not, for valid parameters).
#[derive(Debug, thiserror::Error)]
#[error("cannot hash a password: {0}")]
pub struct HashError(argon2::password_hash::Error);

fn hash(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(HashError)
}

impl UserStore {
    /// Hashes every configured password.
    pub fn from_config(users: &[UserConfig], pool_id: &str) -> Result<Self, HashError> {
        let namespace = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, pool_id.as_bytes());
        let users = users
            .iter()
            .map(|u| {
                Ok(User {
                    username: u.username.clone(),
                    sub: uuid::Uuid::new_v5(&namespace, u.username.to_lowercase().as_bytes())
                        .to_string(),
                    email: u.email.clone(),
                    email_verified: u.email_verified,
                    groups: u.groups.clone(),
                    password_hash: hash(u.password.expose())?,
                })
            })
            .collect::<Result<_, HashError>>()?;
        Ok(Self {
            users,
            decoy_hash: hash("decoy password, never matches a real sign-in")?,
        })
    }

    /// The user with this username (case-insensitive, as Cognito pools are by default).
    pub fn get(&self, username: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(username))
    }

    /// The user if the password is theirs. An unknown user costs the same hash check, so the
    /// answer's timing does not tell which usernames exist.
    pub fn authenticate(&self, username: &str, password: &str) -> Option<&User> {
        let user = self.get(username);
        let stored = user.map_or(self.decoy_hash.as_str(), |u| u.password_hash.as_str());
        let matches = PasswordHash::new(stored).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        });
        user.filter(|_| matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn passwords_are_hashed_and_checked() {
        let config = Config::embedded_default();
        let store = UserStore::from_config(&config.users, &config.user_pool.id).unwrap();
        let demo = store.get("DEMO").unwrap();
        assert!(demo.password_hash.starts_with("$argon2id$"));
        assert!(!demo.password_hash.contains("Demo-Passw0rd!"));
        assert_eq!(
            store
                .authenticate("demo", "Demo-Passw0rd!")
                .map(|u| &u.username),
            Some(&"demo".to_owned())
        );
        assert!(store.authenticate("demo", "demo-passw0rd!").is_none());
        assert!(store.authenticate("nobody", "Demo-Passw0rd!").is_none());
        let again = UserStore::from_config(&config.users, &config.user_pool.id).unwrap();
        assert_eq!(again.get("demo").unwrap().sub, demo.sub, "sub is stable");
        assert_ne!(store.get("admin").unwrap().sub, demo.sub);
    }
}
