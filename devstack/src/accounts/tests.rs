//! The account operations on the domain alone (no HTTP): each flow, and each refusal with its
//! exception and message. The HTTP faces have their own tests under devstack/tests/.

use super::*;
use crate::config::{Config, MfaConfiguration};

const CLIENT: &str = "3n4b5urk1ft4fl3mg5e62d9ado";
const NOW: u64 = 1_700_000_000;

fn accounts(edit: impl FnOnce(&mut Config)) -> Accounts {
    let mut config = Config::embedded_default();
    edit(&mut config);
    config.validate().expect("a valid test config");
    Accounts::from_config(&config, NOW).expect("hashes")
}

fn refused<T: std::fmt::Debug>(result: Result<T, AccountError>) -> (ErrorKind, String) {
    let error = result.expect_err("refused");
    (error.kind, error.message)
}

fn last_code(accounts: &Accounts) -> String {
    accounts.mailbox().last().expect("a message").code.clone()
}

fn signed_in(progress: &Progress) -> bool {
    progress.next == Next::SignedIn && progress.session.is_none()
}

#[test]
fn a_confirmed_user_signs_in_by_username_or_email() {
    let accounts = accounts(|_| {});
    let progress = accounts
        .sign_in(CLIENT, "demo", "Demo-Passw0rd!", NOW)
        .unwrap();
    assert!(signed_in(&progress));
    let by_email = accounts
        .sign_in(CLIENT, "DEMO@example.com", "Demo-Passw0rd!", NOW)
        .unwrap();
    assert_eq!(by_email.username, "demo");
    let wrong = refused(accounts.sign_in(CLIENT, "demo", "Demo-Passw0rd?", NOW));
    let unknown = refused(accounts.sign_in(CLIENT, "nobody", "Demo-Passw0rd!", NOW));
    assert_eq!(wrong, unknown, "no user enumeration");
    assert_eq!(
        wrong,
        (
            ErrorKind::NotAuthorized,
            "Incorrect username or password.".into()
        )
    );
}

#[test]
fn sign_up_mails_a_code_that_confirms_the_account() {
    let accounts = accounts(|_| {});
    let (sub, delivery) = accounts
        .sign_up("carol", "Carol-Passw0rd!", Some("carol@example.com"), NOW)
        .unwrap();
    assert_eq!(delivery.destination, "c***@e***.com");
    assert_eq!(accounts.user("carol").unwrap().sub, sub);
    assert_eq!(
        refused(accounts.sign_in(CLIENT, "carol", "Carol-Passw0rd!", NOW)),
        (ErrorKind::UserNotConfirmed, "User is not confirmed.".into())
    );
    let mail = accounts.mailbox().pop().unwrap();
    assert_eq!(mail.kind, MailKind::SignUpCode);
    assert_eq!(mail.to, "carol@example.com");
    assert_eq!(
        mail.body,
        format!("Your confirmation code is {}", mail.code)
    );
    assert_eq!(
        refused(accounts.confirm_sign_up("carol", "000000x", NOW)).0,
        ErrorKind::CodeMismatch
    );
    accounts.confirm_sign_up("carol", &mail.code, NOW).unwrap();
    let carol = accounts.user("carol").unwrap();
    assert_eq!(carol.status, UserStatus::Confirmed);
    assert!(carol.email_verified);
    assert!(signed_in(
        &accounts
            .sign_in(CLIENT, "carol@example.com", "Carol-Passw0rd!", NOW)
            .unwrap()
    ));
    assert_eq!(
        refused(accounts.confirm_sign_up("carol", &mail.code, NOW)).1,
        "User cannot be confirmed. Current status is CONFIRMED"
    );
}

#[test]
fn sign_up_refusals() {
    let accounts = accounts(|_| {});
    assert_eq!(
        refused(accounts.sign_up("demo", "Carol-Passw0rd!", Some("x@example.com"), NOW)),
        (ErrorKind::UsernameExists, "User already exists".into())
    );
    assert_eq!(
        refused(accounts.sign_up("carol", "short", Some("c@example.com"), NOW)),
        (
            ErrorKind::InvalidPassword,
            "Password did not conform with policy: Password not long enough".into()
        )
    );
    assert_eq!(
        refused(accounts.sign_up("carol", "carol-passw0rd!", Some("c@example.com"), NOW)).1,
        "Password did not conform with policy: Password must have uppercase characters"
    );
    assert_eq!(
        refused(accounts.sign_up(
            "c@example.com",
            "Carol-Passw0rd!",
            Some("c@example.com"),
            NOW
        ))
        .0,
        ErrorKind::InvalidParameter
    );
    assert_eq!(
        refused(accounts.sign_up("carol", "Carol-Passw0rd!", None, NOW)).1,
        "Attributes did not conform to the schema: email: The attribute is required"
    );
    let closed = self::accounts(|c| c.user_pool.allow_self_sign_up = false);
    assert_eq!(
        refused(closed.sign_up("carol", "Carol-Passw0rd!", Some("c@example.com"), NOW)),
        (
            ErrorKind::NotAuthorized,
            "SignUp is not permitted for this user pool".into()
        )
    );
}

#[test]
fn a_taken_email_fails_the_confirmation_not_the_sign_up() {
    let accounts = accounts(|_| {});
    accounts
        .sign_up("twin", "Twin-Passw0rd!", Some("demo@example.com"), NOW)
        .unwrap();
    let code = last_code(&accounts);
    assert_eq!(
        refused(accounts.confirm_sign_up("twin", &code, NOW)),
        (
            ErrorKind::AliasExists,
            "An account with the email already exists.".into()
        )
    );
}

#[test]
fn codes_expire_and_wrong_tries_are_bounded() {
    let accounts = accounts(|_| {});
    accounts
        .sign_up("carol", "Carol-Passw0rd!", Some("carol@example.com"), NOW)
        .unwrap();
    let code = last_code(&accounts);
    let day_later = NOW + CONFIRMATION_CODE_LIFETIME_SECS;
    assert_eq!(
        refused(accounts.confirm_sign_up("carol", &code, day_later)),
        (
            ErrorKind::ExpiredCode,
            "Invalid code provided, please request a code again.".into()
        )
    );
    accounts
        .resend_confirmation_code("carol", day_later)
        .unwrap();
    let fresh = last_code(&accounts);
    for _ in 1..MAX_CODE_FAILURES {
        assert_eq!(
            refused(accounts.confirm_sign_up("carol", "999999x", day_later)).0,
            ErrorKind::CodeMismatch
        );
    }
    assert_eq!(
        refused(accounts.confirm_sign_up("carol", "999999x", day_later)).0,
        ErrorKind::TooManyFailedAttempts
    );
    assert_eq!(
        refused(accounts.confirm_sign_up("carol", &fresh, day_later)).0,
        ErrorKind::ExpiredCode,
        "the voided code no longer works"
    );
}

#[test]
fn codes_sent_are_limited_per_hour() {
    let accounts = accounts(|_| {});
    accounts
        .sign_up("carol", "Carol-Passw0rd!", Some("carol@example.com"), NOW)
        .unwrap();
    for _ in 1..HOURLY_REQUESTS {
        accounts.resend_confirmation_code("carol", NOW).unwrap();
    }
    assert_eq!(
        refused(accounts.resend_confirmation_code("carol", NOW)),
        (
            ErrorKind::LimitExceeded,
            "Attempt limit exceeded, please try after some time.".into()
        )
    );
    assert!(
        accounts
            .resend_confirmation_code("carol", NOW + 3600)
            .is_ok()
    );
}

#[test]
fn forgot_password_resets_with_the_mailed_code() {
    let accounts = accounts(|_| {});
    let delivery = accounts.forgot_password("demo@example.com", NOW).unwrap();
    assert_eq!(delivery.destination, "d***@e***.com");
    let mail = accounts.mailbox().pop().unwrap();
    assert_eq!(mail.kind, MailKind::PasswordResetCode);
    assert_eq!(
        refused(accounts.confirm_forgot_password("demo", &mail.code, "weak", NOW)).0,
        ErrorKind::InvalidPassword
    );
    accounts
        .confirm_forgot_password("demo", &mail.code, "Brand-New-Passw0rd!", NOW)
        .unwrap();
    assert!(
        accounts
            .sign_in(CLIENT, "demo", "Demo-Passw0rd!", NOW)
            .is_err()
    );
    assert!(
        accounts
            .sign_in(CLIENT, "demo", "Brand-New-Passw0rd!", NOW)
            .is_ok()
    );
    assert_eq!(
        refused(accounts.confirm_forgot_password("demo", &mail.code, "Other-Passw0rd!1", NOW)).0,
        ErrorKind::ExpiredCode,
        "a reset code works once"
    );
    let unknown = accounts.forgot_password("nobody", NOW).unwrap();
    assert!(unknown.destination.contains("***"), "a made-up delivery");
    assert_eq!(accounts.mailbox().len(), 1, "nothing sent for nobody");
    accounts.forgot_password("admin", NOW).unwrap();
    let hour_later = NOW + RESET_CODE_LIFETIME_SECS;
    assert_eq!(
        refused(accounts.confirm_forgot_password(
            "admin",
            &last_code(&accounts),
            "Brand-New-Passw0rd!",
            hour_later
        ))
        .0,
        ErrorKind::ExpiredCode
    );
}

#[test]
fn a_temporary_password_must_be_replaced_at_the_first_sign_in() {
    let accounts = accounts(|_| {});
    let created = accounts
        .admin_create_user(
            AdminCreateUser {
                username: "dave".into(),
                email: "dave@example.com".into(),
                email_verified: true,
                temporary_password: None,
                suppress_invitation: false,
            },
            NOW,
        )
        .unwrap();
    assert_eq!(created.status, UserStatus::ForceChangePassword);
    let invitation = accounts.mailbox().pop().unwrap();
    assert_eq!(invitation.kind, MailKind::Invitation);
    let temporary = invitation.code;
    assert!(
        accounts.check_new_password(&temporary).is_ok(),
        "meets the policy"
    );
    let progress = accounts.sign_in(CLIENT, "dave", &temporary, NOW).unwrap();
    assert_eq!(
        progress.next,
        Next::Challenge(Challenge::NewPasswordRequired)
    );
    let session = progress.session.unwrap();
    assert_eq!(
        refused(accounts.answer_new_password(&session, CLIENT, Some("dave"), "weak", NOW)).0,
        ErrorKind::InvalidPassword
    );
    assert_eq!(
        refused(accounts.answer_new_password(
            &session,
            CLIENT,
            Some("demo"),
            "Dave-Passw0rd!1",
            NOW
        )),
        (
            ErrorKind::NotAuthorized,
            "Invalid session for the user, session is expired.".into()
        ),
        "answered for another user"
    );
    assert_eq!(
        refused(accounts.answer_new_password(
            &session,
            "otherclient",
            None,
            "Dave-Passw0rd!1",
            NOW
        ))
        .0,
        ErrorKind::NotAuthorized
    );
    let done = accounts
        .answer_new_password(&session, CLIENT, Some("dave"), "Dave-Passw0rd!1", NOW)
        .unwrap();
    assert!(signed_in(&done));
    assert_eq!(accounts.user("dave").unwrap().status, UserStatus::Confirmed);
    assert_eq!(
        refused(accounts.answer_new_password(&session, CLIENT, None, "Dave-Passw0rd!2", NOW)).0,
        ErrorKind::NotAuthorized,
        "a session is used once"
    );
}

#[test]
fn temporary_passwords_and_sessions_expire() {
    let accounts = accounts(|_| {});
    accounts
        .admin_create_user(
            AdminCreateUser {
                username: "erin".into(),
                email: "erin@example.com".into(),
                email_verified: true,
                temporary_password: Some("Temp-Passw0rd!".into()),
                suppress_invitation: true,
            },
            NOW,
        )
        .unwrap();
    assert!(accounts.mailbox().is_empty(), "SUPPRESS sends nothing");
    let progress = accounts
        .sign_in(CLIENT, "erin", "Temp-Passw0rd!", NOW)
        .unwrap();
    let later = NOW + CHALLENGE_LIFETIME_SECS;
    assert_eq!(
        refused(accounts.answer_new_password(
            progress.session.as_deref().unwrap(),
            CLIENT,
            None,
            "Erin-Passw0rd!1",
            later
        ))
        .0,
        ErrorKind::NotAuthorized
    );
    let week_later = NOW + 7 * 24 * 3600;
    assert_eq!(
        refused(accounts.sign_in(CLIENT, "erin", "Temp-Passw0rd!", week_later)).1,
        "Temporary password has expired and must be reset by an administrator."
    );
    accounts
        .admin_set_user_password("erin", "Erin-Passw0rd!1", true, week_later)
        .unwrap();
    assert!(signed_in(
        &accounts
            .sign_in(CLIENT, "erin", "Erin-Passw0rd!1", week_later)
            .unwrap()
    ));
    accounts
        .admin_set_user_password("erin", "Again-Passw0rd!1", false, week_later)
        .unwrap();
    assert_eq!(
        accounts
            .sign_in(CLIENT, "erin", "Again-Passw0rd!1", week_later)
            .unwrap()
            .next,
        Next::Challenge(Challenge::NewPasswordRequired)
    );
}

/// A user of `accounts` with an authenticator set up through the access-token operations;
/// returns its secret.
fn enroll(accounts: &Accounts, username: &str, now: u64) -> TotpSecret {
    let secret = accounts
        .associate_software_token(SetupBy::User(username), now)
        .unwrap();
    assert_eq!(
        refused(accounts.verify_software_token(SetupBy::User(username), "123456", None, now)).0,
        ErrorKind::EnableSoftwareTokenMfa,
        "a wrong first code"
    );
    accounts
        .verify_software_token(
            SetupBy::User(username),
            &secret.code_at(now),
            Some("phone"),
            now,
        )
        .unwrap();
    secret
}

#[test]
fn an_authenticator_is_asked_for_once_set_up_and_each_code_works_once() {
    let accounts = accounts(|c| c.user_pool.mfa = MfaConfiguration::Optional);
    let secret = enroll(&accounts, "demo", NOW);
    let demo = accounts.user("demo").unwrap();
    assert_eq!(demo.mfa_setting_list(), ["SOFTWARE_TOKEN_MFA"]);
    assert_eq!(demo.preferred_mfa(), None);

    let later = NOW + 60;
    let progress = accounts
        .sign_in(CLIENT, "demo", "Demo-Passw0rd!", later)
        .unwrap();
    assert_eq!(progress.next, Next::Challenge(Challenge::SoftwareTokenMfa));
    let session = progress.session.unwrap();
    assert_eq!(
        refused(accounts.answer_mfa_code(&session, CLIENT, Some("demo"), "000000", later)),
        (
            ErrorKind::CodeMismatch,
            "Invalid code received for user".into()
        )
    );
    let code = secret.code_at(later);
    assert!(signed_in(
        &accounts
            .answer_mfa_code(&session, CLIENT, Some("demo"), &code, later)
            .unwrap()
    ));
    let again = accounts
        .sign_in(CLIENT, "demo", "Demo-Passw0rd!", later)
        .unwrap();
    assert_eq!(
        refused(accounts.answer_mfa_code(
            again.session.as_deref().unwrap(),
            CLIENT,
            None,
            &code,
            later
        )),
        (
            ErrorKind::ExpiredCode,
            "Your software token has already been used once.".into()
        )
    );

    accounts
        .set_mfa_preference("demo", Some(false), None, later)
        .unwrap();
    assert!(signed_in(
        &accounts
            .sign_in(CLIENT, "demo", "Demo-Passw0rd!", later)
            .unwrap()
    ));
    accounts
        .set_mfa_preference("demo", None, Some(true), later)
        .unwrap();
    assert_eq!(
        accounts.user("demo").unwrap().preferred_mfa(),
        Some("SOFTWARE_TOKEN_MFA")
    );
}

#[test]
fn wrong_codes_end_the_session_after_the_limit() {
    let accounts = accounts(|c| c.user_pool.mfa = MfaConfiguration::Optional);
    let secret = enroll(&accounts, "demo", NOW);
    let later = NOW + 60;
    let session = accounts
        .sign_in(CLIENT, "demo", "Demo-Passw0rd!", later)
        .unwrap()
        .session
        .unwrap();
    for _ in 0..MAX_CHALLENGE_FAILURES {
        assert_eq!(
            refused(accounts.answer_mfa_code(&session, CLIENT, None, "000000", later)).0,
            ErrorKind::CodeMismatch
        );
    }
    assert_eq!(
        refused(accounts.answer_mfa_code(&session, CLIENT, None, &secret.code_at(later), later)).0,
        ErrorKind::NotAuthorized,
        "the session ended"
    );
}

#[test]
fn a_pool_requiring_mfa_sets_the_authenticator_up_during_sign_in() {
    let accounts = accounts(|c| c.user_pool.mfa = MfaConfiguration::On);
    let progress = accounts
        .sign_in(CLIENT, "demo", "Demo-Passw0rd!", NOW)
        .unwrap();
    assert_eq!(progress.next, Next::Challenge(Challenge::MfaSetup));
    let session = progress.session.unwrap();
    assert_eq!(
        refused(accounts.answer_mfa_setup(&session, CLIENT, None, NOW)).0,
        ErrorKind::InvalidParameter,
        "not verified yet"
    );
    let secret = accounts
        .associate_software_token(SetupBy::Session(&session), NOW)
        .unwrap();
    let verified = accounts
        .verify_software_token(SetupBy::Session(&session), &secret.code_at(NOW), None, NOW)
        .unwrap()
        .expect("a new session");
    assert_eq!(
        refused(accounts.answer_mfa_setup(&session, CLIENT, None, NOW)).0,
        ErrorKind::NotAuthorized,
        "the old session was replaced"
    );
    assert!(signed_in(
        &accounts
            .answer_mfa_setup(&verified, CLIENT, Some("demo"), NOW)
            .unwrap()
    ));
    assert_eq!(
        accounts
            .sign_in(CLIENT, "demo", "Demo-Passw0rd!", NOW + 60)
            .unwrap()
            .next,
        Next::Challenge(Challenge::SoftwareTokenMfa)
    );
    assert_eq!(
        refused(accounts.set_mfa_preference("demo", Some(false), None, NOW)).0,
        ErrorKind::InvalidParameter,
        "MFA is required"
    );
    let off = self::accounts(|c| c.user_pool.mfa = MfaConfiguration::Off);
    assert_eq!(
        refused(off.associate_software_token(SetupBy::User("demo"), NOW)),
        (
            ErrorKind::SoftwareTokenMfaNotFound,
            "Software Token MFA has not been enabled by the userPool".into()
        )
    );
}

#[test]
fn the_managed_login_confirms_a_sign_up_and_goes_on() {
    let accounts = accounts(|_| {});
    accounts
        .sign_up("carol", "Carol-Passw0rd!", Some("carol@example.com"), NOW)
        .unwrap();
    let session = accounts.confirmation_session("carol", CLIENT, NOW);
    assert_eq!(
        refused(accounts.answer_confirmation(&session, CLIENT, "000000x", NOW)).0,
        ErrorKind::CodeMismatch
    );
    let done = accounts
        .answer_confirmation(&session, CLIENT, &last_code(&accounts), NOW)
        .unwrap();
    assert!(signed_in(&done));
    assert_eq!(done.username, "carol");
}

#[test]
fn an_administrator_can_require_a_password_reset() {
    let accounts = accounts(|_| {});
    let delivery = accounts.admin_reset_user_password("demo", NOW).unwrap();
    assert_eq!(delivery.destination, "d***@e***.com");
    assert_eq!(
        accounts.user("demo").unwrap().status,
        UserStatus::ResetRequired
    );
    assert_eq!(
        refused(accounts.sign_in(CLIENT, "demo", "Demo-Passw0rd!", NOW)),
        (
            ErrorKind::PasswordResetRequired,
            "Password reset required for the user".into()
        )
    );
    let mail = accounts.mailbox().pop().unwrap();
    assert_eq!(mail.kind, MailKind::PasswordResetCode);
    accounts
        .confirm_forgot_password("demo", &mail.code, "Reset-Passw0rd!1", NOW)
        .unwrap();
    assert!(signed_in(
        &accounts
            .sign_in(CLIENT, "demo", "Reset-Passw0rd!1", NOW)
            .unwrap()
    ));
    assert_eq!(
        refused(accounts.admin_reset_user_password("nobody", NOW)).0,
        ErrorKind::UserNotFound
    );
}

#[test]
fn administrators_manage_groups_and_users() {
    let accounts = accounts(|_| {});
    accounts
        .admin_add_user_to_group("demo", "admin", NOW)
        .unwrap();
    assert_eq!(accounts.user("demo").unwrap().groups, ["users", "admin"]);
    assert_eq!(
        refused(accounts.admin_add_user_to_group("demo", "nope", NOW)),
        (ErrorKind::ResourceNotFound, "Group not found.".into())
    );
    assert_eq!(
        refused(accounts.admin_add_user_to_group("nobody", "admin", NOW)),
        (ErrorKind::UserNotFound, "User does not exist.".into())
    );
    assert_eq!(accounts.admin_delete_user("DEMO").unwrap(), "demo");
    assert!(accounts.user("demo").is_none());
    assert_eq!(
        refused(accounts.admin_delete_user("demo")).0,
        ErrorKind::UserNotFound
    );
}

#[test]
fn changing_the_password_needs_the_current_one_and_is_metered() {
    let accounts = accounts(|_| {});
    assert_eq!(
        refused(accounts.change_password("demo", "wrong", "Next-Passw0rd!1", NOW)).0,
        ErrorKind::NotAuthorized
    );
    assert_eq!(
        refused(accounts.change_password("demo", "Demo-Passw0rd!", "weak", NOW)).0,
        ErrorKind::InvalidPassword
    );
    accounts
        .change_password("demo", "Demo-Passw0rd!", "Next-Passw0rd!1", NOW)
        .unwrap();
    assert!(
        accounts
            .sign_in(CLIENT, "demo", "Next-Passw0rd!1", NOW)
            .is_ok()
    );
    for _ in 3..HOURLY_REQUESTS {
        let _ = accounts.change_password("demo", "wrong", "x", NOW);
    }
    assert_eq!(
        refused(accounts.change_password("demo", "Next-Passw0rd!1", "Third-Passw0rd!1", NOW)).0,
        ErrorKind::LimitExceeded
    );
}

#[test]
fn configured_users_can_start_with_a_temporary_password_or_an_authenticator() {
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let accounts = accounts(|c| {
        c.users[0].password_is_temporary = true;
        c.users[1].totp_secret = Some(crate::config::Password::new(secret));
    });
    assert_eq!(
        accounts
            .sign_in(CLIENT, "demo", "Demo-Passw0rd!", NOW)
            .unwrap()
            .next,
        Next::Challenge(Challenge::NewPasswordRequired)
    );
    let admin = accounts.user("admin").unwrap();
    assert_eq!(admin.preferred_mfa(), Some("SOFTWARE_TOKEN_MFA"));
    let progress = accounts
        .sign_in(CLIENT, "admin", "Admin-Passw0rd!", NOW)
        .unwrap();
    let code = TotpSecret::from_base32(secret).unwrap().code_at(NOW);
    assert!(signed_in(
        &accounts
            .answer_mfa_code(
                progress.session.as_deref().unwrap(),
                CLIENT,
                None,
                &code,
                NOW
            )
            .unwrap()
    ));
}

#[test]
fn temporary_passwords_generated_meet_the_policy() {
    let accounts = accounts(|_| {});
    for _ in 0..50 {
        let password = accounts.generate_temporary_password();
        assert_eq!(accounts.check_new_password(&password), Ok(()), "{password}");
    }
}
