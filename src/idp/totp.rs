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

/// `text` with `&`, `<`, `>` and `"` escaped, for HTML text and quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            c => escaped.push(c),
        }
    }
    escaped
}

impl TotpSecret {
    /// A setup's form as HTML (one `inner_html`, which costs the page far fewer bytes than
    /// building the elements one by one): the QR code of the Key URI for `account`, the key in
    /// groups of four (`#totp-secret`), what the app is told, and the fields `device` and `code`
    /// (read from the submitted form). Only the account, a username, comes from outside; it is
    /// escaped.
    pub fn setup_html(&self, account: &str) -> String {
        let qr = qr_svg(&self.otpauth_uri(APP_NAME, account)).unwrap_or_default();
        [
            "<p>1. Scan the QR code with your authenticator app (Google Authenticator, Microsoft Authenticator, 1Password, …), or type the key into it by hand.</p>",
            &qr,
            "<p>Key: <code id=\"totp-secret\">",
            &self.grouped(),
            "</code><br><span class=\"muted\">Account ",
            &escape_html(account),
            ", issuer ",
            APP_NAME,
            ", time-based, 6 digits every 30 seconds.</span></p><p>2. Type the code it shows. Once this is done, every sign-in asks for a code from the app after your password.</p><label>Name of this authenticator (optional) <input name=\"device\" autocomplete=\"off\"></label><label>Code <input name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\"></label>",
        ]
        .concat()
    }
}

/// `text` as a QR code in SVG (error correction M: still reads with a few modules smudged),
/// one path drawing every dark module a horizontal run at a time, with a `viewBox` in modules
/// (the quiet zone included) so that CSS sizes it; `None` when it is too long for a QR code.
pub fn qr_svg(text: &str) -> Option<String> {
    // Byte mode: a Key URI mixes cases, so the numeric and alphanumeric modes never apply.
    let segments = [qrcodegen::QrSegment::make_bytes(text.as_bytes())];
    let code = qrcodegen::QrCode::encode_segments(&segments, qrcodegen::QrCodeEcc::Medium).ok()?;
    let size = usize::try_from(code.size()).ok()?;
    Some(draw(size, |x, y| code.get_module(x as i32, y as i32)))
}

/// The SVG of a `size` × `size` grid whose dark modules `dark(x, y)` tells.
fn draw(size: usize, dark: impl Fn(usize, usize) -> bool) -> String {
    let side = size + 2 * QUIET_ZONE;
    let mut svg = format!(
        "<svg class=\"qr\" viewBox=\"0 0 {side} {side}\" role=\"img\" aria-label=\"QR code of the key, for your authenticator app\"><path d=\""
    );
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
            let _ = write!(svg, "M{left} {top}h{}v1H{left}z", x - start);
        }
    }
    svg.push_str("\"/></svg>");
    svg
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

    const SVG_START: &str = "<svg class=\"qr\" viewBox=\"0 0 11 11\" role=\"img\" aria-label=\"QR code of the key, for your authenticator app\"><path d=\"";

    #[test]
    fn runs_of_dark_modules_become_one_path() {
        // A 3 × 2 grid: row 0 dark-dark-light, row 1 light-dark-dark.
        let grid = [[true, true, false], [false, true, true]];
        let svg = draw(3, |x, y| grid.get(y).is_some_and(|row| row[x]));
        assert_eq!(svg, format!("{SVG_START}M4 4h2v1H4zM5 5h2v1H5z\"/></svg>"));
    }

    /// The path of a QR code's SVG, and its side in modules without the quiet zone.
    fn path_and_size(svg: &str) -> (&str, usize) {
        let view_box = svg.split("viewBox=\"0 0 ").nth(1).unwrap();
        let side: usize = view_box.split(' ').next().unwrap().parse().unwrap();
        let path = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .trim_end_matches("\"/></svg>");
        (path, side - 2 * QUIET_ZONE)
    }

    #[test]
    fn a_key_uri_fits_in_a_qr_code_with_its_finder_patterns() {
        let svg = qr_svg(&secret().otpauth_uri(APP_NAME, "demo")).unwrap();
        let (path, size) = path_and_size(&svg);
        assert_eq!((size - 17) % 4, 0, "a QR code's side is 17 + 4 × version");
        assert!(size >= 29, "{size}: 86 bytes need version 3 or more");
        // The top-left finder pattern: a 7-module run on its first row, at the quiet zone.
        assert!(path.starts_with("M4 4h7v1H4z"), "{path}");
        // And the top-right one on the same row.
        let right = size - 7 + QUIET_ZONE;
        assert!(path.contains(&format!("M{right} 4h7v1H{right}z")), "{path}");
        assert!(
            qr_svg(&"x".repeat(3000)).is_none(),
            "too long for a QR code"
        );
    }

    #[test]
    fn the_setup_shows_the_qr_code_the_key_and_the_escaped_account() {
        let html = secret().setup_html("<b>jane</b> & co");
        assert!(html.contains("<svg class=\"qr\" viewBox="), "{html}");
        assert!(
            html.contains(
                "<code id=\"totp-secret\">JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP</code>"
            ),
            "{html}"
        );
        assert!(
            html.contains("Account &lt;b&gt;jane&lt;/b&gt; &amp; co, issuer cognito-spa,"),
            "{html}"
        );
        assert!(!html.contains("<b>"), "{html}");
        assert_eq!(escape_html("a\"b"), "a&quot;b");
    }
}
