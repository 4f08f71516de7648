//! Setting up an authenticator app: the secret Cognito hands out, the `otpauth://` Key URI an
//! app scans, the secret as people type it, the first code, and the QR code drawn as SVG.

use std::fmt::Write as _;

/// The issuer an authenticator app shows next to the account: this app's name.
pub const APP_NAME: &str = "cognito-spa";

/// A TOTP shared secret (`SecretCode` of AssociateSoftwareToken). `Debug` prints `[redacted]`,
/// there is no `Display` and no `Clone`: the page holds the only copy, in memory, and drops it
/// when the setup ends or is cancelled. It is never stored, logged or put in an address.
#[derive(PartialEq, Eq)]
pub struct TotpSecret(String);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

impl TotpSecret {
    /// Takes a `SecretCode` as Cognito documents it (`[A-Za-z0-9]+`, at least 16 characters),
    /// or `None`.
    pub fn new(secret_code: String) -> Option<Self> {
        let well_formed =
            secret_code.len() >= 16 && secret_code.bytes().all(|b| b.is_ascii_alphanumeric());
        well_formed.then_some(Self(secret_code))
    }

    /// The secret for typing into an app by hand: groups of four, e.g. `ABCD EFGH IJ`.
    pub fn grouped(&self) -> String {
        let mut grouped = String::with_capacity(self.0.len() * 5 / 4 + 1);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                grouped.push(' ');
            }
            grouped.push(c);
        }
        grouped
    }

    /// The Key URI an authenticator app scans (Google's Key Uri format, as Amplify builds it):
    /// `otpauth://totp/<issuer>:<account>?secret=<secret>&issuer=<issuer>`, label and issuer
    /// percent-encoded. A colon cannot stand inside either (it separates them in the label), so
    /// one is written as a full stop, as devstack's own setup page does.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let issuer = percent_encode(&issuer.replace(':', "."));
        let account = percent_encode(&account.replace(':', "."));
        format!(
            "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}",
            self.0
        )
    }
}

/// `encodeURIComponent`: everything but `A-Z a-z 0-9 - . _ ~` as `%XX` of its UTF-8 bytes (a
/// space is `%20`, never `+`, which a label in the path would keep as a plus).
pub fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// A code typed by a person: spaces are ignored (apps show `123 456`); it must be six digits.
pub fn check_code(text: &str) -> Result<String, &'static str> {
    let code: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err("Type the 6-digit code your authenticator app shows for this account.")
    }
}

/// Modules of light margin around a QR code, as the standard asks.
const QUIET_ZONE: usize = 4;

/// A QR code as SVG: the `viewBox` (modules, the quiet zone included) and the `d` of one path
/// drawing every dark module, a horizontal run at a time.
#[derive(Debug, PartialEq, Eq)]
pub struct QrSvg {
    /// `viewBox`, e.g. `0 0 33 33` for a 25-module code.
    pub view_box: String,
    /// The path data, e.g. `M4 4h7v1H4z...`.
    pub path: String,
}

/// Draws `text` as a QR code (error correction M: still reads with a few modules smudged), or
/// `None` when it is too long to fit in one.
pub fn qr_svg(text: &str) -> Option<QrSvg> {
    let code = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Medium).ok()?;
    let size = usize::try_from(code.size()).ok()?;
    Some(draw(size, |x, y| code.get_module(x as i32, y as i32)))
}

/// The SVG of a `size` × `size` grid whose dark modules `dark(x, y)` tells.
fn draw(size: usize, dark: impl Fn(usize, usize) -> bool) -> QrSvg {
    let mut path = String::new();
    for y in 0..size {
        let mut x = 0;
        while x < size {
            if !dark(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < size && dark(x, y) {
                x += 1;
            }
            let (left, top) = (start + QUIET_ZONE, y + QUIET_ZONE);
            // Writing to a String cannot fail.
            let _ = write!(path, "M{left} {top}h{}v1H{left}z", x - start);
        }
    }
    let side = size + 2 * QUIET_ZONE;
    QrSvg {
        view_box: format!("0 0 {side} {side}"),
        path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    fn secret() -> TotpSecret {
        TotpSecret::new(SECRET.into()).unwrap()
    }

    #[test]
    fn the_secret_never_shows_in_debug() {
        let secret = secret();
        assert_eq!(format!("{secret:?}"), "TotpSecret([redacted])");
        assert!(!format!("{:?}", Some(&secret)).contains("JBSW"));
    }

    #[test]
    fn only_a_secret_code_as_cognito_documents_it_is_taken() {
        assert!(TotpSecret::new("ABCDEFGHIJKLMNOP".into()).is_some());
        assert!(TotpSecret::new("ABCDEFGHIJKLMNO".into()).is_none(), "15");
        assert!(TotpSecret::new("ABCDEFGH IJKLMNOP".into()).is_none());
        assert!(TotpSecret::new("ABCDEFGH&IJKLMNOP".into()).is_none());
        assert!(TotpSecret::new(String::new()).is_none());
    }

    #[test]
    fn the_secret_is_grouped_in_fours_for_typing() {
        assert_eq!(
            secret().grouped(),
            "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"
        );
        let odd = TotpSecret::new("ABCDEFGHIJKLMNOPQR".into()).unwrap();
        assert_eq!(odd.grouped(), "ABCD EFGH IJKL MNOP QR");
    }

    #[test]
    fn the_key_uri_names_issuer_and_account() {
        assert_eq!(
            secret().otpauth_uri(APP_NAME, "demo"),
            format!("otpauth://totp/cognito-spa:demo?secret={SECRET}&issuer=cognito-spa")
        );
    }

    #[test]
    fn label_and_issuer_are_percent_encoded() {
        let uri = secret().otpauth_uri("My App & Co", "jane.doe+1@example.com");
        assert_eq!(
            uri,
            format!(
                "otpauth://totp/My%20App%20%26%20Co:jane.doe%2B1%40example.com?secret={SECRET}&issuer=My%20App%20%26%20Co"
            )
        );
        // A colon inside either would split the label in the wrong place.
        let uri = secret().otpauth_uri("a:b", "c:d?e=f#g");
        assert!(
            uri.starts_with("otpauth://totp/a.b:c.d%3Fe%3Df%23g?secret="),
            "{uri}"
        );
        assert!(uri.ends_with("&issuer=a.b"), "{uri}");
    }

    #[test]
    fn percent_encoding_is_encode_uri_component() {
        assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(percent_encode("a b/c"), "a%20b%2Fc");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_encode("100%"), "100%25");
    }

    #[test]
    fn codes_are_six_digits_spaces_ignored() {
        assert_eq!(check_code("123456"), Ok("123456".into()));
        assert_eq!(check_code(" 123 456 "), Ok("123456".into()));
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６"] {
            assert!(check_code(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn runs_of_dark_modules_become_one_path() {
        // A 3 × 2 grid: row 0 dark-dark-light, row 1 light-dark-dark.
        let grid = [[true, true, false], [false, true, true]];
        let svg = draw(3, |x, y| grid.get(y).is_some_and(|row| row[x]));
        assert_eq!(svg.view_box, "0 0 11 11");
        assert_eq!(svg.path, "M4 4h2v1H4zM5 5h2v1H5z");
    }

    #[test]
    fn a_key_uri_fits_in_a_qr_code_with_its_finder_patterns() {
        let uri = secret().otpauth_uri(APP_NAME, "demo");
        let svg = qr_svg(&uri).unwrap();
        let side: usize = svg.view_box.rsplit(' ').next().unwrap().parse().unwrap();
        let size = side - 2 * QUIET_ZONE;
        assert_eq!((size - 17) % 4, 0, "a QR code's side is 17 + 4 × version");
        assert!(size >= 29, "{size}: 86 bytes need version 3 or more");
        // The top-left finder pattern: a 7-module run on its first row, at the quiet zone.
        assert!(svg.path.starts_with("M4 4h7v1H4z"), "{}", svg.path);
        // And the top-right one on the same row.
        let right = size - 7 + QUIET_ZONE;
        assert!(
            svg.path.contains(&format!("M{right} 4h7v1H{right}z")),
            "{}",
            svg.path
        );
        assert!(
            qr_svg(&"x".repeat(3000)).is_none(),
            "too long for a QR code"
        );
    }
}
