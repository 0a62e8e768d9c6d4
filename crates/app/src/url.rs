//! Percent-encoding for query values (pure; no DOM), so scenario JSON and interventions fit in a URL.

/// Encodes everything except RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes and `+` (a space in query strings). Malformed escapes stay as written;
/// invalid UTF-8 becomes U+FFFD. Never panics.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `key=value` pairs of a query string (leading `?` allowed), values decoded.
pub fn pairs(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_json() {
        let s = r#"[{"when":{"at_ms":120},"fault":{"type":"crash_broker","broker":1}}] ü"#;
        let e = encode(s);
        assert!(e
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.~%".contains(c)));
        assert_eq!(decode(&e), s);
    }

    #[test]
    fn decode_is_lenient() {
        assert_eq!(decode("a+b%2"), "a b%2");
        assert_eq!(decode("%zz%"), "%zz%");
        assert_eq!(decode("%41"), "A");
        assert_eq!(decode("%FF"), "\u{FFFD}");
    }

    #[test]
    fn pairs_split_and_decode() {
        assert_eq!(
            pairs("?a=1&b&c=x%20y"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("c".into(), "x y".into())
            ]
        );
    }
}
