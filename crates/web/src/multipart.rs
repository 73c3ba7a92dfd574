//! Reading a `multipart/form-data` body (RFC 7578), as a browser sends a form with a file:
//! enough for the import form (a few fields and one file), without a dependency.

/// One part of the form.
#[derive(Debug)]
pub(crate) struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

/// The parts of a form, by name.
#[derive(Debug, Default)]
pub(crate) struct Parts(pub Vec<Part>);

impl Parts {
    /// A text field (the first with this name), empty when absent or not UTF-8.
    pub fn text(&self, name: &str) -> &str {
        self.0.iter().find(|p| p.name == name).and_then(|p| std::str::from_utf8(&p.data).ok()).unwrap_or("")
    }

    /// A file's name and bytes (the first field with this name).
    pub fn file(&self, name: &str) -> Option<(&str, &[u8])> {
        self.0.iter().find(|p| p.name == name).map(|p| (p.filename.as_deref().unwrap_or(""), p.data.as_slice()))
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

/// The value of `key=` in a header's parameters (`; name="x"`), unquoted.
fn param(header: &str, key: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        if !k.trim().eq_ignore_ascii_case(key) {
            return None;
        }
        let v = v.trim();
        Some(v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v).replace("\\\"", "\""))
    })
}

/// The parts of `body` sent with this `Content-Type`; `None` when it is not a
/// well-formed multipart body.
pub(crate) fn parse(content_type: &str, body: &[u8]) -> Option<Parts> {
    if !content_type.trim().to_ascii_lowercase().starts_with("multipart/form-data") {
        return None;
    }
    let boundary = param(content_type, "boundary").filter(|b| !b.is_empty() && b.len() <= 200)?;
    let delimiter = format!("--{boundary}").into_bytes();
    let next = format!("\r\n--{boundary}").into_bytes();
    let mut at = find(body, &delimiter, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        // After a delimiter: `--` ends the body, CRLF starts a part.
        if body.get(at..at + 2)? == b"--" {
            return Some(Parts(parts));
        }
        if body.get(at..at + 2)? != b"\r\n" {
            return None;
        }
        at += 2;
        let head_end = find(body, b"\r\n\r\n", at)?;
        let head = std::str::from_utf8(body.get(at..head_end)?).ok()?;
        let disposition = head.split("\r\n").find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
        let name = param(disposition, "name")?;
        let filename = param(disposition, "filename");
        let start = head_end + 4;
        let end = find(body, &next, start)?;
        parts.push(Part { name, filename, data: body.get(start..end)?.to_vec() });
        at = end + next.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_form_with_a_file() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"agents.csv\"\r\nContent-Type: text/csv\r\n\r\nnom;pr\xe9nom\r\nA;B\r\n\r\n--XyZ--\r\n";
        let parts = parse("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(parts.text("csrf"), "abc");
        let (name, data) = parts.file("file").unwrap();
        assert_eq!(name, "agents.csv");
        assert_eq!(data, b"nom;pr\xe9nom\r\nA;B\r\n");
        assert_eq!(parts.text("missing"), "");
    }

    #[test]
    fn broken_bodies_are_refused() {
        assert!(parse("application/x-www-form-urlencoded", b"a=b").is_none());
        assert!(parse("multipart/form-data", b"--x\r\n").is_none());
        assert!(parse("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end").is_none());
        assert!(parse("multipart/form-data; boundary=\"x\"", b"--x--").unwrap().0.is_empty());
    }
}
